package cli

// FlagValues returns the table of fixed-set flag values, for the tests.
func FlagValues() map[string]map[string][]string { return flagValues }

// FileFlags returns the table of flags completed with file names.
func FileFlags() map[string]map[string][]string { return fileFlags }
