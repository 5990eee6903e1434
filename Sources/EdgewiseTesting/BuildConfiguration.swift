/// True in release builds (`swift test -c release`, what `make test` and CI run): tests of release-only
/// properties (zero-allocation inference, timing bounds) check it. The one definition for every test target.
#if DEBUG
public let isReleaseBuild = false
#else
public let isReleaseBuild = true
#endif
