import Testing
@testable import EdgewiseCore

