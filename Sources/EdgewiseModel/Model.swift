import EdgewiseCore

/// What the model expects as input and how raw data becomes that input.
public struct InputSpec: Hashable, Codable, Sendable {
    /// The front end that turns raw data into the input tensor (`"mfcc"`, `"ecg-window"`, `"image"`, `"none"`).
    public var preprocessing: String
    /// The front end's parameters by name (sample rate, window, stride, mean, std, …).
    public var parameters: [String: Double]

    public init(preprocessing: String = "none", parameters: [String: Double] = [:]) {
        self.preprocessing = preprocessing; self.parameters = parameters
    }
}

/// Calibration of one exit: how confident the exit must be for a given expected accuracy and cost.
/// The adaptive policy picks a threshold from this table at run time.
public struct ExitCalibration: Hashable, Codable, Sendable {
    /// Confidence thresholds; EdgewisePolicy stores one per operating point, loosest budget first.
    public var thresholds: [Float]
    /// Accuracy on the calibration set of the samples that exit here at each threshold.
    public var accuracy: [Float]
    /// Fraction of calibration samples that exit here at each threshold.
    public var exitRate: [Float]

    public init(thresholds: [Float], accuracy: [Float], exitRate: [Float]) {
        self.thresholds = thresholds; self.accuracy = accuracy; self.exitRate = exitRate
    }
}

/// A deployable model: the graph with its weights, plus everything an app needs around it.
public struct Model: Sendable {
    public var graph: Graph
    /// Class names, indexed like the exits' outputs.
    public var labels: [String]
    public var inputSpec: InputSpec
    /// Calibration tables by exit name.
    public var exitCalibration: [String: ExitCalibration]
    /// Free-form facts: training recipe, dataset, metrics, source file of an import.
    public var metadata: [String: String]

    public init(graph: Graph, labels: [String] = [], inputSpec: InputSpec = .init(),
                exitCalibration: [String: ExitCalibration] = [:], metadata: [String: String] = [:]) {
        self.graph = graph; self.labels = labels; self.inputSpec = inputSpec
        self.exitCalibration = exitCalibration; self.metadata = metadata
    }
}
