module github.com/avatar-fi/avatar/protocol

go 1.26.0

require (
	connectrpc.com/connect v1.21.1
	google.golang.org/protobuf v1.36.12
)

require github.com/golang-jwt/jwt/v5 v5.3.1
