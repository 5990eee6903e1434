/// One channel of a recording: physical values plus how they were stored.
public struct SignalChannel: Sendable, Equatable {
    /// Lead or sensor name (`MLII`, `V1`, `ppg1`, `ax`, …).
    public var label: String
    /// Physical units (`mV`, `g`, `adu`, …).
    public var units: String
    /// Samples in physical units.
    public var samples: [Float]

    public init(label: String, units: String, samples: [Float]) {
        self.label = label; self.units = units; self.samples = samples
    }
}

/// A multi-channel recording at one sampling rate, whatever file it came from.
public struct SignalRecord: Sendable, Equatable {
    /// Record name (WFDB record name or file base name).
    public var name: String
    /// Samples per second per channel.
    public var samplingRate: Double
    public var channels: [SignalChannel]

    public init(name: String, samplingRate: Double, channels: [SignalChannel]) {
        self.name = name; self.samplingRate = samplingRate; self.channels = channels
    }

    /// Samples per channel (the shortest channel).
    public var length: Int { channels.map(\.samples.count).min() ?? 0 }

    /// Duration in seconds.
    public var duration: Double { Double(length) / samplingRate }

    /// The first channel whose label is one of `labels` (case-insensitive), in the order given.
    public func channel(named labels: [String]) -> Int? {
        for l in labels { if let i = channels.firstIndex(where: { $0.label.lowercased() == l.lowercased() }) { return i } }
        return nil
    }
}
