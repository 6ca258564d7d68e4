package audit

// SetPageSize makes Verify read n entries at a time until the returned
// function restores the default, so tests cross page boundaries.
func SetPageSize(n int) (restore func()) {
	old := pageSize
	pageSize = n
	return func() { pageSize = old }
}
