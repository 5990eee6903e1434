import EdgewiseCore
import EdgewiseModel
import EdgewiseTrain
import Foundation

/// Trains the beat classifier from a recipe (`Scripts/recipes/ecg-beats.json`): the recipe's
/// `data.source` is `mitdb-ds1` (de Chazal's DS1 from a MIT-BIH directory); the records given as
/// validation are held out of training (patient-held-out tuning inside DS1). DS2 is never read here.
public enum BeatTraining {
    public static func run(recipe r: TrainingRecipe, data: String, validationRecords: [String], options: TrainerOptions,
                           progress: (String) -> Void) throws -> TrainingResult {
        guard r.model.architecture == BeatModel.architecture else { throw TrainingError.badRecipe("model.architecture must be '\(BeatModel.architecture)'") }
        guard r.model.inputFrames == BeatExtractor.windowPoints, r.model.inputCoefficients == BeatExtractor.channels, r.model.classes == 5 else {
            throw TrainingError.badRecipe("model input must be \(BeatExtractor.windowPoints) frames × \(BeatExtractor.channels) coefficients, 5 classes")
        }
        guard r.data.source == "mitdb-ds1" else { throw TrainingError.badRecipe("data.source must be 'mitdb-ds1'") }
        let set = try RecordSet(directory: data)
        let ds1 = try set.resolve("DS1")
        for v in validationRecords where !ds1.contains(v) { throw TrainingError.badRecipe("validation record \(v) is not in DS1") }
        let raw = try BeatData.dataset(set: set, names: ds1.filter { !validationRecords.contains($0) }, progress: progress)
        let train = BeatData.oversampled(raw, factor: 8, cap: 10_000)
        let val = try BeatData.dataset(set: set, names: validationRecords.isEmpty ? Array(ds1.suffix(2)) : validationRecords, progress: progress)
        progress("training beats per class (N S V F Q): \(train.classCounts); validation: \(val.classCounts)")
        let graph = try BeatModel.build(width: r.model.channels, classes: 5, seed: r.seed, earlyExitAfter: r.model.earlyExitAfterBlock ?? 2)
        var result = try Trainer.run(recipe: r, train: train, validation: val, initialGraph: graph, options: options)
        result.model.labels = AAMIClass.allCases.map(\.letter)
        result.model.metadata["wearable.input"] = "beat window \(BeatExtractor.windowPoints) points at \(BeatExtractor.windowRate) Hz × (ECG, patient template, \(BeatExtractor.rrFeatureCount) RR features)"
        result.model.metadata["wearable.training"] = "MIT-BIH DS1 (de Chazal 2004) without \(validationRecords.joined(separator: ",")) (validation)"
        return result
    }
}
