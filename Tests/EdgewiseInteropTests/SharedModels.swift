import EdgewiseCore
import EdgewiseTesting
import EdgewiseModel
@testable import EdgewiseInterop

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the shared reference models live: `$EDGEWISE_SHARED`, else `../shared` next to the package
/// root (this file is `Tests/EdgewiseInteropTests/SharedModels.swift`, so the root is two folders up).
enum Shared {
    static let root: String = SharedData.expectedRoot

    static var models: String { root + "/models" }

    /// The trait of every test here: the ML-zoo models and the KWS fixtures must be present (skipped
    /// otherwise, failed under `EDGEWISE_REQUIRE_SHARED=1`).
    static let needsModels = SharedData.needs("models/PROVENANCE.md", "models/fixtures/kws_frontend/mfcc_tf_ops.npy",
                                              "models/fixtures/kws_frontend/expected/ds_cnn_s_fp32_output.npy",
                                              "models/fixtures/kws_frontend/expected/ds_cnn_m_fp32_output.npy",
                                              "models/" + dsCnnSFp32, "models/" + dsCnnMFp32)

    static let kws = "ml-zoo/models/keyword_spotting"
    static let dsCnnSFp32 = "\(kws)/ds_cnn_small/model_package_tf/model_archive/TFLite/tflite_fp32/ds_cnn_s.tflite"
    static let dsCnnSInt8 = "\(kws)/ds_cnn_small/model_package_tf/model_archive/TFLite/tflite_int8/ds_cnn_s_quantized.tflite"
    static let dsCnnMFp32 = "\(kws)/ds_cnn_medium/model_package_tf/model_archive/TFLite/tflite_fp32/ds_cnn_m.tflite"
    static let dsCnnMInt8 = "\(kws)/ds_cnn_medium/model_package_tf/model_archive/TFLite/tflite_int8/ds_cnn_m_quantized.tflite"
    static let dsCnnLInt8 = "\(kws)/ds_cnn_large/tflite_int8/ds_cnn_l_quantized.tflite"
    static let mobileNetV2 = "ml-zoo/models/image_classification/mobilenet_v2_1.0_224/tflite_int8/mobilenet_v2_1.0_224_INT8.tflite"
    static let allModels = [dsCnnSFp32, dsCnnSInt8, dsCnnMFp32, dsCnnMInt8, dsCnnLInt8, mobileNetV2]

    static func path(_ rel: String) -> String { models + "/" + rel }

    static func bytes(_ rel: String) throws -> [UInt8] { try readWholeFile(path(rel)) }
}
