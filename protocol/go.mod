module github.com/avatar-fi/avatar/protocol

go 1.26
