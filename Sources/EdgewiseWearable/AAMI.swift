import EdgewiseSignalFiles

/// The AAMI EC57 beat classes.
public enum AAMIClass: Int, CaseIterable, Sendable, Codable {
    case n = 0, s, v, f, q

    /// The class letter (`N`, `S`, `V`, `F`, `Q`).
    public var letter: String { ["N", "S", "V", "F", "Q"][rawValue] }

    /// The AAMI class of a MIT-BIH beat symbol, or nil for non-beat annotations.
    public init?(symbol: String) {
        switch symbol {
        case "N", "L", "R", "e", "j": self = .n
        case "A", "a", "J", "S": self = .s
        case "V", "E": self = .v
        case "F": self = .f
        case "/", "f", "Q": self = .q
        default: return nil
        }
    }

    /// The WFDB annotation code written for this class in our output annotation files.
    public var annotationCode: Int { [1, 9, 5, 6, 13][rawValue] }
}

/// A reference beat: R-peak sample and its AAMI class (nil for beat codes outside the AAMI mapping: `B r n ?`).
public struct ReferenceBeat: Sendable, Equatable {
    public var sample: Int
    public var symbol: String
    public var aami: AAMIClass?
}

extension Array where Element == WFDBAnnotation {
    /// Beat annotations as reference beats, and the sample ranges of ventricular flutter/fibrillation
    /// episodes (`[` … `]`), which EC57 excludes from QRS detection statistics.
    public func referenceBeats() -> (beats: [ReferenceBeat], excluded: [Range<Int>]) {
        var beats: [ReferenceBeat] = []
        var excluded: [Range<Int>] = []
        var vfStart: Int? = nil
        for a in self {
            if a.symbol == "[" { vfStart = a.sample }
            else if a.symbol == "]", let s = vfStart { excluded.append(s..<a.sample + 1); vfStart = nil }
            else if a.isBeat { beats.append(ReferenceBeat(sample: a.sample, symbol: a.symbol, aami: AAMIClass(symbol: a.symbol))) }
        }
        if let s = vfStart { excluded.append(s..<Int.max) }
        return (beats, excluded)
    }
}
