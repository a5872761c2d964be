"""Read models built from the event store, and the store's SQL plumbing. Each view module
holds its tables, its event handlers and its queries; the runner feeds them in log order
and commits each batch of view rows with the projection's tracking position."""
