/// Every error the tool reports. `description` is one line that names the file,
/// object or setting involved and, where it helps, what to do about it.
/// Domains define their own enums conforming to this protocol.
public protocol PITRError: Error, CustomStringConvertible {}
