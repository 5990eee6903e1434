import Testing
@testable import EdgewiseModel

