module github.com/avatar-fi/avatar/core

go 1.26
