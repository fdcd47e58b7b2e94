package manifest

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Set is the manifests of one deployment, decoded, with look-ups across them. It is not
// safe for concurrent use.
type Set struct {
	// Objects are the decoded documents, in the order given.
	Objects []Object
}

// Workload is an object that runs pods: a Deployment, StatefulSet, DaemonSet, Job or
// CronJob, with its pod template.
type Workload struct {
	// Object is the owning object.
	Object
	// Selector selects the workload's pods; nil for a Job or CronJob.
	Selector *metav1.LabelSelector
	// Template is the pod template.
	Template *corev1.PodTemplateSpec
	// ClaimTemplates are a StatefulSet's volume claim templates, by name.
	ClaimTemplates []string
}

// metaOf returns obj's object metadata; every type the decoder knows has one.
func metaOf(obj runtime.Object) metav1.Object {
	if m, ok := obj.(metav1.Object); ok {
		return m
	}
	return &metav1.ObjectMeta{}
}

// Name returns the object's metadata.name.
func (o Object) Name() string { return metaOf(o.Object).GetName() }

// Namespace returns the object's metadata.namespace.
func (o Object) Namespace() string { return metaOf(o.Object).GetNamespace() }

// String names the object as "Kind/name (file#n)".
func (o Object) String() string { return fmt.Sprintf("%s/%s (%s)", o.GVK.Kind, o.Name(), o.Source) }

// Find returns the object of the given kind and name, if the set has one.
func (s *Set) Find(kind, name string) (Object, bool) {
	for _, o := range s.Objects {
		if o.GVK.Kind == kind && o.Name() == name {
			return o, true
		}
	}
	return Object{}, false
}

// Workloads returns every object of the set that runs pods.
func (s *Set) Workloads() []Workload {
	var out []Workload
	for _, o := range s.Objects {
		switch obj := o.Object.(type) {
		case *appsv1.Deployment:
			out = append(out, Workload{Object: o, Selector: obj.Spec.Selector, Template: &obj.Spec.Template})
		case *appsv1.DaemonSet:
			out = append(out, Workload{Object: o, Selector: obj.Spec.Selector, Template: &obj.Spec.Template})
		case *appsv1.StatefulSet:
			w := Workload{Object: o, Selector: obj.Spec.Selector, Template: &obj.Spec.Template}
			for _, c := range obj.Spec.VolumeClaimTemplates {
				w.ClaimTemplates = append(w.ClaimTemplates, c.Name)
			}
			out = append(out, w)
		case *batchv1.Job:
			out = append(out, Workload{Object: o, Template: &obj.Spec.Template})
		case *batchv1.CronJob:
			out = append(out, Workload{Object: o, Template: &obj.Spec.JobTemplate.Spec.Template})
		}
	}
	return out
}

// Selecting returns the workloads whose pod template labels match selector in
// namespace.
func (s *Set) Selecting(namespace string, selector labels.Selector) []Workload {
	var out []Workload
	for _, w := range s.Workloads() {
		if w.Namespace() == namespace && selector.Matches(labels.Set(w.Template.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

// configData returns the keys and literal values of the ConfigMap or Secret (kind) name
// in namespace; Secret values are returned as written (stringData) or decoded (data).
func (s *Set) configData(kind, namespace, name string) (map[string]string, bool) {
	o, ok := s.Find(kind, name)
	if !ok || o.Namespace() != namespace {
		return nil, false
	}
	out := map[string]string{}
	switch obj := o.Object.(type) {
	case *corev1.ConfigMap:
		for k, v := range obj.Data {
			out[k] = v
		}
		for k := range obj.BinaryData {
			out[k] = ""
		}
	case *corev1.Secret:
		for k, v := range obj.Data {
			out[k] = string(v)
		}
		for k, v := range obj.StringData {
			out[k] = v
		}
	}
	return out, true
}

// EnvValue returns the value container c of a pod in namespace gets for variable name,
// as the kubelet sets it: an env entry wins over envFrom, later envFrom sources over
// earlier ones. A value from a ConfigMap or Secret of the set resolves; one from a field
// or resource reference, or from an object outside the set, is found with value "".
func (s *Set) EnvValue(namespace string, c *corev1.Container, name string) (string, bool) {
	for i := len(c.Env) - 1; i >= 0; i-- {
		e := c.Env[i]
		if e.Name != name {
			continue
		}
		switch {
		case e.ValueFrom == nil:
			return e.Value, true
		case e.ValueFrom.ConfigMapKeyRef != nil:
			data, _ := s.configData("ConfigMap", namespace, e.ValueFrom.ConfigMapKeyRef.Name)
			return data[e.ValueFrom.ConfigMapKeyRef.Key], true
		case e.ValueFrom.SecretKeyRef != nil:
			data, _ := s.configData("Secret", namespace, e.ValueFrom.SecretKeyRef.Name)
			return data[e.ValueFrom.SecretKeyRef.Key], true
		default:
			return "", true
		}
	}
	for _, from := range slices.Backward(c.EnvFrom) {
		kind, ref := "ConfigMap", ""
		switch {
		case from.ConfigMapRef != nil:
			ref = from.ConfigMapRef.Name
		case from.SecretRef != nil:
			kind, ref = "Secret", from.SecretRef.Name
		}
		key, ok := strings.CutPrefix(name, from.Prefix)
		if !ok {
			continue
		}
		data, _ := s.configData(kind, namespace, ref)
		if v, ok := data[key]; ok {
			return v, true
		}
	}
	return "", false
}

// EnvNames returns every environment variable name the set's containers get, with the
// object that sets it: env entries, and the keys of the ConfigMaps and Secrets they take
// whole through envFrom (prefixed).
func (s *Set) EnvNames() map[string]string {
	out := map[string]string{}
	for _, w := range s.Workloads() {
		spec := &w.Template.Spec
		for _, c := range allContainers(spec) {
			for _, e := range c.Env {
				if _, ok := out[e.Name]; !ok {
					out[e.Name] = fmt.Sprintf("%s container %s", w, c.Name)
				}
			}
			for _, from := range c.EnvFrom {
				kind, ref := "ConfigMap", ""
				switch {
				case from.ConfigMapRef != nil:
					ref = from.ConfigMapRef.Name
				case from.SecretRef != nil:
					kind, ref = "Secret", from.SecretRef.Name
				}
				data, _ := s.configData(kind, w.Namespace(), ref)
				for k := range data {
					if _, ok := out[from.Prefix+k]; !ok {
						out[from.Prefix+k] = fmt.Sprintf("%s/%s via %s container %s", kind, ref, w, c.Name)
					}
				}
			}
		}
	}
	return out
}

// allContainers returns the pod's init containers, then its containers.
func allContainers(spec *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range spec.InitContainers {
		out = append(out, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}
