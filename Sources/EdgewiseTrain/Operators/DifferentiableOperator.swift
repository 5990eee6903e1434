import EdgewiseCore

/// An operator whose training pass needs nothing but its inputs, its output and the output's gradient:
/// no parameters, no saved state. ``TrainingSession`` runs such an operator through this protocol, so
/// adding one needs no change to the session: its forward is the reference kernel, its backward lives
/// beside the operator (`Operators/<Name>+Backward.swift`).
public protocol DifferentiableOperator: OperatorDefinition {
    /// Training forward: `y = op(inputs)`.
    func trainingForward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape],
                         into y: UnsafeMutableBufferPointer<Float>, _ ys: Shape)
    /// Backward: **adds** each input's gradient into `dx[i]` (`nil`: no gradient wanted).
    func backward(_ inputs: [UnsafeBufferPointer<Float>], _ shapes: [Shape], output y: UnsafeBufferPointer<Float>, _ ys: Shape,
                  dy: UnsafeBufferPointer<Float>, dx: [UnsafeMutableBufferPointer<Float>?])
}
