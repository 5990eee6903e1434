import Testing
@testable import EdgewiseSignal
