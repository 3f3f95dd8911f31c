/// tailtown-pitr is a Linux tool (it relies on /proc, O_TMPFILE, st_mtim, MAP_POPULATE): the C library is
/// imported here, once, and re-exported to every file of the package and its tests.
@_exported import Glibc
