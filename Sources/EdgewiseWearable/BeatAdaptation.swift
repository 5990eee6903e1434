import EdgewiseCore
import EdgewiseModel
import EdgewiseTrain
import Foundation

/// On-device patient adaptation (the patient-specific protocol of Hu et al. 1997 and Kiranyaz et al. 2016):
/// the exit heads of a trained beat model are fine-tuned on a patient's first minutes of labelled beats
/// (the trunk and its batch-norm statistics stay frozen), and the adapted model classifies the rest of the
/// recording. The beats used for adaptation must be left out of scoring (``ECGStream/score(_:_:stream:from:)``).
public enum BeatAdaptation {
    /// Fine-tuning settings (tuned on DS1 records the global model did not train on, never on DS2).
    public struct Options: Sendable {
        /// Length of the labelled start of the recording used for adaptation, in seconds.
        public var seconds: Double
        public var epochs: Int
        public var learningRate: Float
        public var batchSize: Int
        /// Repeats of each non-N class (class imbalance inside the patient's few minutes).
        public var oversampling: Int
        /// Per-class factors N,S,V,F,Q stored in the adapted model (nil: keep the global model's).
        public var classScale: [Float]?
        public init(seconds: Double = 300, epochs: Int = 10, learningRate: Float = 0.001, batchSize: Int = 32, oversampling: Int = 4,
                    classScale: [Float]? = nil) {
            self.seconds = seconds; self.epochs = epochs; self.learningRate = learningRate; self.batchSize = batchSize
            self.oversampling = oversampling; self.classScale = classScale
        }
    }

    /// The labelled beats of `rec` whose R peak lies in its first `seconds` (the adaptation set).
    public static func adaptationBeats(_ rec: ECGRecord, seconds: Double) -> (beats: [BeatFeatures], labels: [Int]) {
        let (b, l) = BeatData.labelled(rec)
        let end = Int(seconds * rec.rate)
        let k = b.firstIndex { $0.sample >= end } ?? b.count
        return (Array(b[..<k]), Array(l[..<k]))
    }

    /// Fine-tunes the exit heads of `model` (a model trained by ``BeatTraining``, whose metadata carries its
    /// recipe) on labelled beats; returns the adapted model (same graph, new head weights).
    public static func adapt(_ model: Model, beats: [BeatFeatures], labels: [Int], options: Options = .init()) throws -> Model {
        guard !beats.isEmpty, beats.count == labels.count else { throw TrainingError.badRecipe("patient adaptation needs labelled beats (got \(beats.count))") }
        guard let json = model.metadata["recipe"], let data = json.data(using: .utf8) else {
            throw TrainingError.badRecipe("the beat model has no 'recipe' metadata (train it with `wearable train`)")
        }
        var r: TrainingRecipe
        do { r = try JSONDecoder().decode(TrainingRecipe.self, from: data) } catch { throw TrainingError.badRecipe("the beat model's recipe metadata: \(error)") }
        r.name = "adapt"
        r.freezeBackbone = true
        r.epochs = options.epochs
        r.batchSize = options.batchSize
        r.optimizer.learningRate = options.learningRate
        r.schedule = LearningRateSchedule(warmupSteps: 0, decay: .cosine)
        r.balancedClassWeights = false
        r.teacher = nil
        r.checkpointEverySteps = nil
        let raw = ArrayDataset(samples: zip(beats, labels).map { Sample(features: $0.input, label: $1) }, classCount: AAMIClass.allCases.count)
        let train = BeatData.oversampled(raw, factor: options.oversampling, cap: raw.classCounts[0])
        let result = try Trainer.run(recipe: r, train: train, validation: raw, initialGraph: model.graph,
                                     options: TrainerOptions(resume: false, writeFiles: false))
        var out = model
        out.graph = result.graph
        out.metadata["wearable.adapted"] = "exit heads fine-tuned on \(beats.count) labelled beats (\(options.epochs) epochs, lr \(options.learningRate))"
        if let s = options.classScale { out.metadata["wearable.classScale"] = s.map { String($0) }.joined(separator: ",") }
        return out
    }
}

extension BeatAdaptation {
    /// A classifier for `record` adapted from `global`: the heads fine-tuned on the record's first
    /// `options.seconds` of labelled beats, with the global classifier's exit policy (fixed threshold, or
    /// the adaptive policy in the same mode, using the global model's exit calibration).
    public static func adaptedClassifier(_ global: BeatClassifier, record rec: ECGRecord, options: Options = .init()) throws -> BeatClassifier {
        let (b, l) = adaptationBeats(rec, seconds: options.seconds)
        let m = try adapt(global.model, beats: b, labels: l, options: options)
        let c = try BeatClassifier(model: m, policy: global.policy)
        c.classScale = options.classScale ?? global.classScale
        if let p = global.adaptive { try c.useAdaptivePolicy(mode: p.requestedMode, file: rec.name) }
        return c
    }
}
