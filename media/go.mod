module github.com/avatar-fi/avatar/media

go 1.26.0

require (
	github.com/yalue/onnxruntime_go v1.27.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
	gopkg.in/hraban/opus.v2 v2.0.0-20230925203106-0188a62cb302
)
