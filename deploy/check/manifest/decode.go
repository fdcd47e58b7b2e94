package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Object is one decoded manifest document.
type Object struct {
	// Source is "file#n", n counting the file's documents from 1.
	Source string
	// GVK is the document's group, version and kind.
	GVK schema.GroupVersionKind
	// Object is the typed API object, such as *appsv1.Deployment.
	Object runtime.Object
}

// newDecoder returns the decoder of every manifest: by apiVersion and kind, for the API
// groups the manifests may use and no others, strictly (unknown and duplicated fields
// fail). It is built once.
var newDecoder = sync.OnceValues(func() (runtime.Decoder, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme,
		rbacv1.AddToScheme, batchv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("register API types: %w", err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer(), nil
})

// DecodeFile reads a multi-document YAML file and decodes each document; see Decode.
func DecodeFile(path string) ([]Object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return Decode(path, data)
}

// Decode splits data, read from the file named name, into YAML documents and decodes
// each strictly into its API type. Empty documents are skipped. It fails with ErrDecode
// for a document of an unknown kind, with an unknown or duplicated field, or with a value
// of the wrong type, and for a document without a name.
func Decode(name string, data []byte) ([]Object, error) {
	decoder, err := newDecoder()
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []Object
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s#%d: %w", ErrDecode, name, n, err)
		}
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("%w: %s#%d: %w", ErrDecode, name, n, err)
		}
		if string(bytes.TrimSpace(js)) == "null" {
			n--
			continue
		}
		source := fmt.Sprintf("%s#%d", name, n)
		obj, gvk, err := decoder.Decode(js, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrDecode, source, err)
		}
		if _, ok := obj.(*unstructured.Unstructured); ok {
			return nil, fmt.Errorf("%w: %s: kind %s is not a known API type", ErrDecode, source, gvk)
		}
		if metaOf(obj).GetName() == "" {
			return nil, fmt.Errorf("%w: %s: %s has no metadata.name", ErrDecode, source, gvk.Kind)
		}
		out = append(out, Object{Source: source, GVK: *gvk, Object: obj})
	}
}
