module github.com/avatar-fi/avatar/media

go 1.26
