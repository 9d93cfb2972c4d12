package emulator

import "net/http"

// imdsHandler serves one metadata path.
type imdsHandler func(e *Emulator, w http.ResponseWriter, r *http.Request)

// imdsRoutes maps the metadata service's exact paths to their handlers;
// every other path is an item or directory read (imdsRead).
var imdsRoutes = map[string]imdsHandler{
	"/latest/api/token": imdsToken,
}

// MetadataHandler returns the metadata service's http.Handler (serve it on
// its own address; clients use it in place of http://100.100.100.200).
func (e *Emulator) MetadataHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := imdsRoutes[r.URL.Path]
		if !ok {
			h = imdsRead
		}
		h(e, w, r)
	})
}
