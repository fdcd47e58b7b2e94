module github.com/avatar-fi/avatar/edge

go 1.26
