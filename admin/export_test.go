package admin

// Routes returns the method and path pattern of every served route.
func Routes() [][2]string {
	out := make([][2]string, len(routes))
	for i, rt := range routes {
		out[i] = [2]string{rt.method, rt.pattern}
	}
	return out
}
