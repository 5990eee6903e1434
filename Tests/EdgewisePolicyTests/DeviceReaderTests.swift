import Foundation
import Testing
import EdgewisePolicy

@Suite struct DeviceReaderTests {
    @Test func laptopOnBatteryIsReadWithSources() {
        let r = FakeRoot()
        r.battery("18", status: "Discharging", ac: false)
        r.psi("4.25")
        r.thermal("47500")
        r.write("sys/fs/cgroup/cpu.max", "50000 100000")
        let s = DeviceStateReader(root: r.path).snapshot()
        #expect(s.state.batteryPercent == 18)
        #expect(s.state.onMains == false)
        #expect(s.state.batteryStatus == .discharging)
        #expect(s.state.cpuPressure == 4.25)
        #expect(s.state.temperatureC == 47.5)
        #expect(s.state.thermalHeadroomC == 47.5)
        #expect(s.state.cpuQuotaCores == 0.5)
        #expect(s.sources["battery"] == "sys/class/power_supply/BAT0/capacity")
        #expect(s.sources["pressure"]!.hasSuffix("proc/pressure/cpu some avg10"))
        #expect(s.details["battery_energy_wh"] == "41.20")
        #expect(s.warnings.isEmpty, "\(s.warnings)")
    }

    @Test func chargingOrAdapterOnlineIsMains() {
        let r = FakeRoot()
        r.battery("40", status: "Charging", ac: false)
        #expect(DeviceStateReader(root: r.path).snapshot().state.onMains)
        r.battery("40", status: "Discharging", ac: true)
        #expect(DeviceStateReader(root: r.path).snapshot().state.onMains)
        r.battery("100", status: "Full", ac: false)
        #expect(DeviceStateReader(root: r.path).snapshot().state.onMains)
    }

    @Test func noBatteryIsMainsAndNoZonesIsUnknown() {
        let r = FakeRoot()  // empty: like these CI machines (platform notes §8)
        let s = DeviceStateReader(root: r.path).snapshot()
        #expect(s.state.onMains)
        #expect(s.state.batteryPercent == nil)
        #expect(s.state.temperatureC == nil)
        #expect(s.state.cpuQuotaCores == nil)
        #expect(s.state.cpuPressure == nil)
        #expect(s.warnings.contains { $0.contains("assuming idle") })
    }

    @Test(arguments: ["garbage", "-5", "250", "nan", "", "4e99"])
    func garbageCapacityFallsBackWithAWarning(_ capacity: String) {
        let r = FakeRoot()
        r.battery(capacity, status: "Charging", ac: false)
        let s = DeviceStateReader(root: r.path).snapshot()
        #expect(s.state.batteryPercent == nil)
        #expect(s.state.onMains)  // charging: mains, whatever the level says
        if !capacity.isEmpty { #expect(s.warnings.contains { $0.contains("BAT0/capacity") }, "\(s.warnings)") }
    }

    @Test func dischargingWithUnreadableLevelAssumesHalf() {
        let r = FakeRoot()
        r.battery("???", status: "Discharging", ac: false)
        let s = DeviceStateReader(root: r.path).snapshot()
        #expect(s.state.batteryPercent == 50)
        #expect(!s.state.onMains)
        #expect(s.warnings.contains { $0.contains("assuming 50 %") })
    }

    @Test func batteryThatDisappearsMeansMains() {
        let r = FakeRoot()
        r.battery("10", status: "Discharging", ac: false)
        let reader = DeviceStateReader(root: r.path)
        #expect(reader.snapshot().state.batteryPercent == 10)
        r.remove("sys/class/power_supply/BAT0")
        let s = reader.snapshot()
        #expect(s.state.batteryPercent == nil)
        #expect(s.state.onMains)
        // An empty slot (present = 0) is no battery either.
        r.battery("10", status: "Discharging", ac: false)
        r.write("sys/class/power_supply/BAT0/present", "0")
        #expect(reader.snapshot().state.onMains)
    }

    @Test func unknownStatusAndTypelessSupplyWarn() {
        let r = FakeRoot()
        r.battery("70", status: "Exploding", ac: false)
        r.write("sys/class/power_supply/weird/online", "1")
        let s = DeviceStateReader(root: r.path).snapshot()
        #expect(s.state.batteryStatus == .unknown)
        #expect(s.warnings.contains { $0.contains("unknown status") })
        #expect(s.warnings.contains { $0.contains("weird/type") })
    }

    @Test func pressureFallsBackToStatThenLoadavg() {
        let r = FakeRoot()
        r.write("proc/pressure/cpu", "garbage")
        r.write("proc/stat", "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4")
        r.write("proc/loadavg", "1.00 0.50 0.20 1/100 42")
        let p = ProcCPUPressure(root: SysfsRoot(r.path), cores: 2)
        let first = p.readPressure()
        #expect(first.percent == 20)  // busy 200 of 1000 since boot
        #expect(first.source.hasSuffix("proc/stat utilisation"))
        #expect(first.warnings.contains { $0.contains("pressure/cpu") })
        r.write("proc/stat", "cpu  190 0 100 710 100 0 0 0 0 0")  // +90 busy, +10 idle
        #expect(p.readPressure().percent == 90)
        r.remove("proc/stat")
        let l = p.readPressure()
        #expect(l.percent == 50)  // 1.0 / 2 cores
        #expect(l.source.contains("loadavg"))
        r.write("proc/loadavg", "-3 x")
        #expect(p.readPressure().percent == nil)
    }

    @Test(arguments: ["some avg10=150.00 avg60=0 avg300=0 total=0", "some avg10=-1 avg60=0", "full avg10=3.0"])
    func absurdPSIIsRejected(_ text: String) {
        let r = FakeRoot()
        r.write("proc/pressure/cpu", text)
        r.write("proc/loadavg", "0.50 0.50 0.20 1/100 42")
        let p = ProcCPUPressure(root: SysfsRoot(r.path), cores: 1).readPressure()
        #expect(p.percent == 50)
        #expect(!p.warnings.isEmpty)
    }

    @Test func cgroupQuota() {
        let r = FakeRoot()
        let q = CgroupCPUQuota(root: SysfsRoot(r.path))
        #expect(q.readQuota().cores == nil)
        r.write("sys/fs/cgroup/cpu.max", "max 100000")
        #expect(q.readQuota().cores == nil)
        #expect(q.readQuota().warnings.isEmpty)
        r.write("sys/fs/cgroup/cpu.max", "150000 100000")
        #expect(q.readQuota().cores == 1.5)
        r.write("sys/fs/cgroup/cpu.max", "banana")
        #expect(q.readQuota().cores == nil)
        #expect(q.readQuota().warnings.count == 1)
    }

    @Test func thermalZonesSkipBrokenSensors() {
        let r = FakeRoot()
        r.thermal("61000", trip: "90000")
        r.write("sys/class/thermal/thermal_zone1/temp", "-273150")   // broken sensor
        r.write("sys/class/thermal/thermal_zone2/temp", "hot")
        r.write("sys/class/thermal/thermal_zone3/temp", "72000")
        r.write("sys/class/thermal/cooling_device0/cur_state", "1")
        let (zones, warnings) = SysfsThermal(root: SysfsRoot(r.path)).readZones()
        #expect(zones.map(\.name) == ["thermal_zone0", "thermal_zone3"])
        #expect(warnings.count == 2)
        let s = DeviceStateReader(root: r.path).snapshot()
        #expect(s.state.temperatureC == 72)
        #expect(s.state.thermalHeadroomC == nil)  // the hottest zone has no trips
        #expect(zones[0].trips.first?.celsius == 90)
    }

    @Test func traceParsesAndReplays() throws {
        let text = """
            time_s,battery_percent,charging,psi,temperature_c,deadline_ms
            # comment
            0,100,1,2,40,20
            10,50,0,,45,
            20,,yes,90,80,5
            """
        let t = try DeviceTrace(text: text, file: "t.csv")
        #expect(t.rows.count == 3)
        #expect(t.duration == 20)
        let m = TraceDeviceMonitor(trace: t)
        #expect(m.snapshot(at: 0).state.onMains)
        let mid = m.snapshot(at: 15_000_000_000)
        #expect(mid.state.batteryPercent == 50 && !mid.state.onMains && mid.state.cpuPressure == nil)
        #expect(mid.sources["battery"] == "t.csv:4")
        let end = m.snapshot(at: 99_000_000_000)
        #expect(end.state.batteryPercent == nil && end.state.onMains && end.state.cpuPressure == 90)
        #expect(end.details["deadline_ms"] == "5.0")
    }

    @Test(arguments: [
        ("time_s,battery_percent\n0,101", "t.csv:2"),
        ("time_s,charging\n0,maybe", "t.csv:2"),
        ("time_s,psi\n5,1\n4,1", "t.csv:3"),
        ("battery_percent\n5", "t.csv:1"),
        ("time_s,psi\n0,1,2", "t.csv:2"),
        ("time_s,psi\n", "t.csv:"),
    ])
    func traceErrorsNameFileAndLine(_ text: String, _ prefix: String) {
        #expect { try DeviceTrace(text: text, file: "t.csv") } throws: { e in
            "\(e)".hasPrefix(prefix)
        }
    }
}
