module github.com/avatar-fi/avatar/edge

go 1.26.0

require (
	github.com/avatar-fi/avatar/media v0.0.0
	go.uber.org/goleak v1.3.0
)

require github.com/stretchr/testify v1.12.1 // indirect

replace (
	github.com/avatar-fi/avatar/media => ../media
	github.com/avatar-fi/avatar/protocol => ../protocol
)
