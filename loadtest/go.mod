module github.com/avatar-fi/avatar/loadtest

go 1.26.0
