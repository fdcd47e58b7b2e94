module github.com/avatar-fi/avatar/platform

go 1.26.0
