import Testing
@testable import EdgewiseInterop

