import Testing
@testable import EdgewiseTrain
