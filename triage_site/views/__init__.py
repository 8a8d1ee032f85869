"""HTTP views: thin, they parse, call a service or selector, and render."""
