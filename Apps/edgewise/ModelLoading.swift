import EdgewiseInterop
import EdgewiseModel

/// Loads a model for the commands: `.tflite` files are imported on the fly, anything else is read as
/// an Edgewise model file.
func loadModel(_ path: String) throws -> Model {
    path.lowercased().hasSuffix(".tflite") ? try TFLiteImporter.importModel(path: path) : try ModelFile.read(path: path)
}
