import EdgewiseCore
import EdgewiseData
import EdgewiseTrain

/// The datasets a recipe names, for sources other than the built-in synthetic task.
struct RecipeData {
    var train: any Dataset
    var validation: any Dataset
    var test: (any Dataset)?

    /// Loads `source` from `dataDirectory` (nil: `EDGEWISE_DATA`, else `../shared/datasets`).
    static func load(source: String, dataDirectory: String?, seed: UInt64) throws -> RecipeData {
        switch source {
        case "speech-commands":
            let sc = try SpeechCommands(directory: dataDirectory)
            let options = SpeechCommands.Options(seed: seed)
            return RecipeData(train: try sc.load(.train, options: options), validation: try sc.load(.validation, options: options),
                              test: try sc.load(.test, options: options))
        default:
            throw TrainingError.badRecipe("unknown data.source '\(source)' (choose synthetic or speech-commands)")
        }
    }
}
