import Testing
@testable import EdgewiseData
