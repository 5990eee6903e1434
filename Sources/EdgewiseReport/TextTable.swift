/// A plain-text table whose columns size themselves to their widest cell: the one way the tools
/// print aligned tables.
///
/// Kept instead of ordo-one/TextTable 0.0.2 (checked): that package lays tables out from key paths
/// of row values through Foundation formatters and has no full-width section rows, which the model
/// report uses (`addSection`) between trunk and exit layers; it would add a dependency to replace
/// 40 lines without removing any code here.
public struct TextTable: Sendable {
    /// How a column's cells line up.
    public enum Alignment: Sendable { case left, right }

    private let headers: [String]
    private let alignments: [Alignment]
    private var rows: [[String]] = []

    /// A table with these column headers; numbers usually read best right-aligned.
    public init(_ columns: [(header: String, alignment: Alignment)]) {
        headers = columns.map(\.header)
        alignments = columns.map(\.alignment)
    }

    /// Appends a row (missing cells print empty, extra cells are dropped).
    public mutating func add(_ cells: [String]) {
        rows.append((0..<headers.count).map { $0 < cells.count ? cells[$0] : "" })
    }

    /// Appends a full-width line (a section heading) between rows.
    public mutating func addSection(_ title: String) { rows.append([Self.sectionMark + title]) }

    private static let sectionMark = "\u{1}"

    /// The table, one line per row, columns separated by two spaces, no trailing spaces.
    public func render() -> String {
        var widths = headers.map(\.count)
        for r in rows where !(r.first?.hasPrefix(Self.sectionMark) ?? false) {
            for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let gap = String(repeating: " ", count: widths[i] - c.count)
                parts.append(alignments[i] == .right ? gap + c : c + gap)
            }
            var s = parts.joined(separator: "  ")
            while s.last == " " { s.removeLast() }
            return s
        }
        var out = line(headers) + "\n"
        for r in rows {
            if let first = r.first, first.hasPrefix(Self.sectionMark) { out += String(first.dropFirst()) + "\n" } else { out += line(r) + "\n" }
        }
        return out
    }
}
