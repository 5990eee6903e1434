/// Field ids and enum values of the TFLite FlatBuffer schema (`tensorflow/lite/schema/schema.fbs`,
/// schema version 3 with its backward-compatible revisions 3a–3c), written out by hand: only what the
/// importer reads. A field id is the field's position in its table's declaration, a union taking two ids
/// (the `_type` byte, then the value). Cited from schema.fbs as it is in TensorFlow / TFLite Micro.
enum TFLSchema {
    /// The 4-byte `file_identifier "TFL3"`.
    static let fileIdentifier = "TFL3"

    /// `table Model { version:uint; operator_codes:[OperatorCode]; subgraphs:[SubGraph];
    /// description:string; buffers:[Buffer]; metadata_buffer:[int]; metadata:[Metadata]; signature_defs:[SignatureDef]; }`
    enum Model {
        static let version = 0, operatorCodes = 1, subgraphs = 2, description = 3, buffers = 4
    }

    /// `table SubGraph { tensors:[Tensor]; inputs:[int]; outputs:[int]; operators:[Operator]; name:string; }`
    enum SubGraph {
        static let tensors = 0, inputs = 1, outputs = 2, operators = 3, name = 4
    }

    /// `table Tensor { shape:[int]; type:TensorType; buffer:uint; name:string;
    /// quantization:QuantizationParameters; is_variable:bool; sparsity:SparsityParameters;
    /// shape_signature:[int]; has_rank:bool; variant_tensors:[VariantSubType]; }`
    enum Tensor {
        static let shape = 0, type = 1, buffer = 2, name = 3, quantization = 4, isVariable = 5
        static let sparsity = 6, shapeSignature = 7
    }

    /// `table QuantizationParameters { min:[float]; max:[float]; scale:[float]; zero_point:[long];
    /// details:QuantizationDetails (union: ids 4 = type, 5 = value); quantized_dimension:int; }`
    enum Quantization {
        static let min = 0, max = 1, scale = 2, zeroPoint = 3, detailsType = 4, details = 5, quantizedDimension = 6
    }

    /// `table Buffer { data:[ubyte]; offset:ulong; size:ulong; }` (offset/size: data outside the
    /// FlatBuffer, relative to the file start, used when > 1).
    enum Buffer {
        static let data = 0, offset = 1, size = 2
    }

    /// `table OperatorCode { deprecated_builtin_code:byte; custom_code:string; version:int = 1;
    /// builtin_code:BuiltinOperator (int32); }`. The real code is max(deprecated, builtin_code).
    enum OperatorCode {
        static let deprecatedBuiltinCode = 0, customCode = 1, version = 2, builtinCode = 3
    }

    /// `table Operator { opcode_index:uint; inputs:[int]; outputs:[int]; builtin_options:BuiltinOptions
    /// (union: ids 3 = type, 4 = value); custom_options:[ubyte]; custom_options_format; mutating_variable_inputs:[bool];
    /// intermediates:[int]; large_custom_options_offset:ulong; large_custom_options_size:ulong;
    /// builtin_options_2:BuiltinOptions2 (ids 11, 12); }`
    enum Operator {
        static let opcodeIndex = 0, inputs = 1, outputs = 2, builtinOptionsType = 3, builtinOptions = 4
        static let customOptions = 5, builtinOptions2Type = 11
    }

    /// `enum TensorType : byte`.
    enum TensorType: Int8 {
        case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, bool = 6, int16 = 7
        case complex64 = 8, int8 = 9, float64 = 10, complex128 = 11, uint64 = 12, resource = 13
        case variant = 14, uint32 = 15, uint16 = 16, int4 = 17

        static func name(_ raw: Int8) -> String {
            if let t = TensorType(rawValue: raw) { return "\(t)".uppercased() }
            return "TensorType(\(raw))"
        }
    }

    /// `enum BuiltinOperator : int32` (the values the importer knows by name; others are reported by number).
    enum BuiltinOperator {
        static let add: Int32 = 0
        static let averagePool2d: Int32 = 1
        static let concatenation: Int32 = 2
        static let conv2d: Int32 = 3
        static let depthwiseConv2d: Int32 = 4
        static let dequantize: Int32 = 6
        static let fullyConnected: Int32 = 9
        static let logistic: Int32 = 14
        static let maxPool2d: Int32 = 17
        static let relu: Int32 = 19
        static let relu6: Int32 = 21
        static let reshape: Int32 = 22
        static let softmax: Int32 = 25
        static let custom: Int32 = 32
        static let pad: Int32 = 34
        static let mean: Int32 = 40
        static let squeeze: Int32 = 43
        static let padV2: Int32 = 60
        static let quantize: Int32 = 114
        static let hardSwish: Int32 = 117
        /// Codes below this are also stored in `deprecated_builtin_code`.
        static let placeholderForGreaterOpCodes: Int32 = 127

        /// Names of the BuiltinOperator values, for error messages (schema.fbs order, 0…161).
        static let names: [String] = [
            "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
            "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
            "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
            "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
            "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL",
            "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
            "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
            "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2",
            "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
            "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT",
            "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL",
            "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD",
            "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK",
            "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
            "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V",
            "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU",
            "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF",
            "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2",
            "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM",
            "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE",
            "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE",
            "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
            "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1",
            "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2",
            "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
        ]

        static func name(_ code: Int32) -> String {
            if code >= 0, Int(code) < names.count { return names[Int(code)] }
            return "BuiltinOperator(\(code))"
        }
    }

    /// `union BuiltinOptions` type tags (1-based declaration order; 0 = NONE).
    enum BuiltinOptionsType {
        static let none: UInt8 = 0
        static let conv2d: UInt8 = 1
        static let depthwiseConv2d: UInt8 = 2
        static let pool2d: UInt8 = 5
        static let fullyConnected: UInt8 = 8
        static let softmax: UInt8 = 9
        static let concatenation: UInt8 = 10
        static let add: UInt8 = 11
        static let reshape: UInt8 = 17
        static let pad: UInt8 = 22
        static let reducer: UInt8 = 27
        static let squeeze: UInt8 = 30
        static let dequantize: UInt8 = 38
        static let quantize: UInt8 = 89
        static let hardSwish: UInt8 = 91
    }

    /// `enum Padding : byte { SAME, VALID }`.
    enum Padding {
        static let same: Int8 = 0, valid: Int8 = 1
    }

    /// `enum ActivationFunctionType : byte { NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT }`.
    enum ActivationFunction {
        static let names = ["NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"]
        static func name(_ v: Int8) -> String {
            v >= 0 && Int(v) < names.count ? names[Int(v)] : "ActivationFunctionType(\(v))"
        }
    }

    /// `table Conv2DOptions { padding; stride_w:int; stride_h:int; fused_activation_function;
    /// dilation_w_factor:int = 1; dilation_h_factor:int = 1; quantized_bias_type:TensorType; }`
    enum Conv2DOptions {
        static let padding = 0, strideW = 1, strideH = 2, activation = 3, dilationW = 4, dilationH = 5
    }

    /// `table DepthwiseConv2DOptions { padding; stride_w:int; stride_h:int; depth_multiplier:int;
    /// fused_activation_function; dilation_w_factor:int = 1; dilation_h_factor:int = 1; }`
    enum DepthwiseConv2DOptions {
        static let padding = 0, strideW = 1, strideH = 2, depthMultiplier = 3, activation = 4
        static let dilationW = 5, dilationH = 6
    }

    /// `table Pool2DOptions { padding; stride_w:int; stride_h:int; filter_width:int; filter_height:int;
    /// fused_activation_function; }`
    enum Pool2DOptions {
        static let padding = 0, strideW = 1, strideH = 2, filterW = 3, filterH = 4, activation = 5
    }

    /// `table FullyConnectedOptions { fused_activation_function; weights_format = DEFAULT;
    /// keep_num_dims:bool; asymmetric_quantize_inputs:bool; quantized_bias_type:TensorType; }`
    enum FullyConnectedOptions {
        static let activation = 0, weightsFormat = 1, keepNumDims = 2, asymmetricQuantizeInputs = 3
    }

    /// `table SoftmaxOptions { beta:float; }`
    enum SoftmaxOptions { static let beta = 0 }

    /// `table ConcatenationOptions { axis:int; fused_activation_function; }`
    enum ConcatenationOptions { static let axis = 0, activation = 1 }

    /// `table AddOptions { fused_activation_function; pot_scale_int16:bool = true; }`
    enum AddOptions { static let activation = 0 }

    /// `table ReshapeOptions { new_shape:[int]; }`
    enum ReshapeOptions { static let newShape = 0 }

    /// `table ReducerOptions { keep_dims:bool; }`
    enum ReducerOptions { static let keepDims = 0 }
}
