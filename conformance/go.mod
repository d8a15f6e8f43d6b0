module github.com/microkata/microkata/conformance

go 1.25.0

replace github.com/microkata/microkata => ../

require (
	github.com/hashicorp/golang-lru/v2 v2.0.7
	github.com/microkata/microkata v0.0.0-00010101000000-000000000000
)

require golang.org/x/time v0.15.0
