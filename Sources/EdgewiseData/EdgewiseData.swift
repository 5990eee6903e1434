import CSndfile
import EdgewiseCore
