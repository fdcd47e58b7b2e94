package manifest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The labels and names the policy recognises Avatar's own pods by.
const (
	// NameLabel is the pod label naming the application.
	NameLabel = "app.kubernetes.io/name"
	// RegionLabel is the edge pods' region label; it must equal their AVATAR_REGION.
	RegionLabel = "avatar.fi/region"
	// CoreName is the NameLabel value of the core's pods; their main container is "core".
	CoreName = "avatar-core"
	// EdgeName is the NameLabel value of the edges' pods; their main container is "edge".
	EdgeName = "avatar-edge"
	// Placeholder must appear in every value of a Secret kept in the repository, so that
	// no real credential is committed and none is deployed by mistake.
	Placeholder = "CHANGE_ME"
)

// Defaults of the variables the policy reads, as the binaries apply them (DESIGN.md,
// core/internal/config, edge/internal/config).
const (
	defaultEdgeUDPPort     = 8091
	defaultCoreShutdown    = 20 * time.Second
	defaultEdgeShutdown    = 30 * time.Second
	defaultTerminationWait = 30 * time.Second
)

// Check returns every policy finding of the set, each wrapping ErrPolicy; none means
// the set passes.
func (s *Set) Check() []error {
	c := &checker{set: s}
	c.namespaces()
	c.secrets()
	for _, w := range s.Workloads() {
		c.workload(w)
	}
	for _, o := range s.Objects {
		switch obj := o.Object.(type) {
		case *corev1.Service:
			c.service(o, obj)
		case *autoscalingv2.HorizontalPodAutoscaler:
			c.hpa(o, obj)
		case *policyv1.PodDisruptionBudget:
			c.pdb(o, obj)
		case *rbacv1.RoleBinding:
			c.roleRef(o, obj.RoleRef, obj.Subjects)
		case *rbacv1.ClusterRoleBinding:
			c.roleRef(o, obj.RoleRef, obj.Subjects)
		}
	}
	c.avatar()
	return c.findings
}

type checker struct {
	set      *Set
	findings []error
}

func (c *checker) fail(o fmt.Stringer, format string, args ...any) {
	c.findings = append(c.findings, fmt.Errorf("%w: %s: %s", ErrPolicy, o, fmt.Sprintf(format, args...)))
}

// clusterScoped are the kinds without a namespace.
var clusterScoped = map[string]bool{"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true}

// namespaces: every namespaced object names one namespace, the same for all, and the
// set creates it.
func (c *checker) namespaces() {
	want := ""
	for _, o := range c.set.Objects {
		if clusterScoped[o.GVK.Kind] {
			continue
		}
		switch ns := o.Namespace(); {
		case ns == "":
			c.fail(o, "no metadata.namespace")
		case want == "":
			want = ns
		case ns != want:
			c.fail(o, "namespace %q, the others are in %q", ns, want)
		}
	}
	if _, ok := c.set.Find("Namespace", want); want != "" && !ok {
		c.findings = append(c.findings, fmt.Errorf("%w: no Namespace %q in the set", ErrPolicy, want))
	}
}

// secrets: a Secret in the repository holds placeholders only.
func (c *checker) secrets() {
	for _, o := range c.set.Objects {
		sec, ok := o.Object.(*corev1.Secret)
		if !ok {
			continue
		}
		data, _ := c.set.configData("Secret", o.Namespace(), sec.Name)
		for k, v := range data {
			if !strings.Contains(v, Placeholder) {
				c.fail(o, "key %s holds a value without %s: real secrets do not belong in the repository", k, Placeholder)
			}
		}
	}
}

// pinned matches an image with a registry path, a tag other than latest, or a digest.
var pinned = regexp.MustCompile(`^[a-z0-9.\-/:_]+(:[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}|@sha256:[a-f0-9]{64})$`)

func imagePinned(image string) bool {
	if !pinned.MatchString(image) {
		return false
	}
	if i := strings.LastIndex(image, ":"); i >= 0 && !strings.Contains(image, "@") {
		tag := image[i+1:]
		return tag != "latest" && !strings.Contains(tag, "/")
	}
	return true
}

func (c *checker) workload(w Workload) {
	spec := &w.Template.Spec
	if w.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(w.Selector)
		switch {
		case err != nil:
			c.fail(w, "selector: %v", err)
		case sel.Empty():
			c.fail(w, "empty selector")
		case !sel.Matches(labels.Set(w.Template.Labels)):
			c.fail(w, "selector %s does not match the pod template's labels %v", sel, w.Template.Labels)
		}
	}
	if sa := spec.ServiceAccountName; sa != "" && sa != "default" {
		if _, ok := c.set.Find("ServiceAccount", sa); !ok {
			c.fail(w, "serviceAccountName %q: no such ServiceAccount", sa)
		}
	}
	if spec.HostNetwork && spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
		c.fail(w, "hostNetwork without dnsPolicy ClusterFirstWithHostNet: cluster service names would not resolve")
	}
	for _, ct := range allContainers(spec) {
		c.container(w, spec, ct)
	}
	for i := range spec.Containers {
		ct := &spec.Containers[i]
		if ct.ReadinessProbe == nil {
			c.fail(w, "container %s has no readinessProbe", ct.Name)
		}
		if ct.LivenessProbe == nil {
			c.fail(w, "container %s has no livenessProbe", ct.Name)
		}
	}
	for _, v := range spec.Volumes {
		c.volume(w, v)
	}
}

func (c *checker) container(w Workload, spec *corev1.PodSpec, ct *corev1.Container) {
	if !imagePinned(ct.Image) {
		c.fail(w, "container %s: image %q is not pinned to a version tag or a digest", ct.Name, ct.Image)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := ct.Resources.Requests[r]; !ok || q.IsZero() {
			c.fail(w, "container %s has no %s request", ct.Name, r)
		}
		if q, ok := ct.Resources.Limits[r]; !ok || q.IsZero() {
			c.fail(w, "container %s has no %s limit", ct.Name, r)
		}
	}
	for _, p := range ct.Ports {
		if spec.HostNetwork && p.HostPort != 0 && p.HostPort != p.ContainerPort {
			c.fail(w, "container %s port %d: with hostNetwork, hostPort must equal containerPort", ct.Name, p.ContainerPort)
		}
	}
	ns := w.Namespace()
	for _, e := range ct.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil && !boolValue(r.Optional) {
			c.key(w, ct, "ConfigMap", ns, r.Name, r.Key, e.Name)
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil && !boolValue(r.Optional) {
			c.key(w, ct, "Secret", ns, r.Name, r.Key, e.Name)
		}
	}
	for _, from := range ct.EnvFrom {
		if r := from.ConfigMapRef; r != nil && !boolValue(r.Optional) {
			if _, ok := c.set.configData("ConfigMap", ns, r.Name); !ok {
				c.fail(w, "container %s envFrom ConfigMap %q: not in the set", ct.Name, r.Name)
			}
		}
		if r := from.SecretRef; r != nil && !boolValue(r.Optional) {
			if _, ok := c.set.configData("Secret", ns, r.Name); !ok {
				c.fail(w, "container %s envFrom Secret %q: not in the set", ct.Name, r.Name)
			}
		}
	}
	for _, m := range ct.VolumeMounts {
		found := false
		for _, v := range spec.Volumes {
			found = found || v.Name == m.Name
		}
		for _, t := range w.ClaimTemplates {
			found = found || t == m.Name
		}
		if !found {
			c.fail(w, "container %s mounts volume %q, which the pod does not define", ct.Name, m.Name)
		}
	}
}

func boolValue(b *bool) bool { return b != nil && *b }

// key checks that a ConfigMap or Secret of the set has key.
func (c *checker) key(w Workload, ct *corev1.Container, kind, ns, name, key, env string) {
	data, ok := c.set.configData(kind, ns, name)
	if !ok {
		c.fail(w, "container %s env %s: %s %q is not in the set", ct.Name, env, kind, name)
		return
	}
	if _, ok := data[key]; !ok {
		c.fail(w, "container %s env %s: %s %q has no key %q", ct.Name, env, kind, name, key)
	}
}

func (c *checker) volume(w Workload, v corev1.Volume) {
	ns := w.Namespace()
	check := func(kind, name string, items []corev1.KeyToPath, optional *bool) {
		if boolValue(optional) {
			return
		}
		data, ok := c.set.configData(kind, ns, name)
		if !ok {
			c.fail(w, "volume %s: %s %q is not in the set", v.Name, kind, name)
			return
		}
		for _, it := range items {
			if _, ok := data[it.Key]; !ok {
				c.fail(w, "volume %s: %s %q has no key %q", v.Name, kind, name, it.Key)
			}
		}
	}
	switch {
	case v.ConfigMap != nil:
		check("ConfigMap", v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional)
	case v.Secret != nil:
		check("Secret", v.Secret.SecretName, v.Secret.Items, v.Secret.Optional)
	case v.PersistentVolumeClaim != nil:
		if _, ok := c.set.Find("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName); !ok {
			c.fail(w, "volume %s: PersistentVolumeClaim %q is not in the set", v.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
}

// service: a Service selects pods of the set, on ports they declare.
func (c *checker) service(o Object, svc *corev1.Service) {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if len(svc.Spec.Selector) == 0 {
		c.fail(o, "no selector")
		return
	}
	ws := c.set.Selecting(o.Namespace(), labels.SelectorFromSet(svc.Spec.Selector))
	if len(ws) == 0 {
		c.fail(o, "selector %v matches no pod template of the set", svc.Spec.Selector)
		return
	}
	for _, p := range svc.Spec.Ports {
		target := p.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(p.Port)
		}
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		for _, w := range ws {
			if !declaresPort(&w.Template.Spec, target, proto) {
				c.fail(o, "port %s targets %s/%s, which %s does not declare", p.Name, target.String(), proto, w)
			}
		}
	}
}

// declaresPort reports whether a container of spec declares port (a number or a name)
// with protocol proto.
func declaresPort(spec *corev1.PodSpec, port intstr.IntOrString, proto corev1.Protocol) bool {
	for _, ct := range spec.Containers {
		for _, p := range ct.Ports {
			pp := p.Protocol
			if pp == "" {
				pp = corev1.ProtocolTCP
			}
			if pp != proto {
				continue
			}
			if port.Type == intstr.String && p.Name == port.StrVal || port.Type == intstr.Int && p.ContainerPort == port.IntVal {
				return true
			}
		}
	}
	return false
}

func (c *checker) hpa(o Object, h *autoscalingv2.HorizontalPodAutoscaler) {
	ref := h.Spec.ScaleTargetRef
	target, ok := c.set.Find(ref.Kind, ref.Name)
	if !ok {
		c.fail(o, "scaleTargetRef %s/%s is not in the set", ref.Kind, ref.Name)
		return
	}
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		c.fail(o, "minReplicas %d > maxReplicas %d", *h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	if len(h.Spec.Metrics) == 0 {
		c.fail(o, "no metrics")
	}
	for _, w := range c.set.Workloads() {
		if w.GVK.Kind != ref.Kind || w.Name() != target.Name() {
			continue
		}
		if w.Template.Spec.HostNetwork {
			c.fail(o, "scales %s, whose pods use the host network (one per node)", w)
		}
	}
}

func (c *checker) pdb(o Object, p *policyv1.PodDisruptionBudget) {
	if p.Spec.Selector == nil {
		c.fail(o, "no selector")
		return
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
	if err != nil {
		c.fail(o, "selector: %v", err)
		return
	}
	if len(c.set.Selecting(o.Namespace(), sel)) == 0 {
		c.fail(o, "selector %s matches no pod template of the set", sel)
	}
	if p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil {
		c.fail(o, "neither minAvailable nor maxUnavailable")
	}
}

func (c *checker) roleRef(o Object, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
	if _, ok := c.set.Find(ref.Kind, ref.Name); !ok {
		c.fail(o, "roleRef %s/%s is not in the set", ref.Kind, ref.Name)
	}
	for _, s := range subjects {
		if s.Kind == rbacv1.ServiceAccountKind {
			if _, ok := c.set.Find("ServiceAccount", s.Name); !ok {
				c.fail(o, "subject ServiceAccount %q is not in the set", s.Name)
			}
		}
	}
}

// avatar applies the rules of Avatar's own pods.
func (c *checker) avatar() {
	cores, edges := 0, 0
	for _, w := range c.set.Workloads() {
		switch w.Template.Labels[NameLabel] {
		case CoreName:
			cores++
			c.core(w)
		case EdgeName:
			edges++
			c.edge(w)
		}
	}
	if cores == 0 {
		c.findings = append(c.findings, fmt.Errorf("%w: no workload runs the core (%s=%s)", ErrPolicy, NameLabel, CoreName))
	}
	if edges == 0 {
		c.findings = append(c.findings, fmt.Errorf("%w: no workload runs an edge (%s=%s)", ErrPolicy, NameLabel, EdgeName))
	}
}

// mainContainer returns the container called name, failing when there is none.
func (c *checker) mainContainer(w Workload, name string) *corev1.Container {
	for i := range w.Template.Spec.Containers {
		if ct := &w.Template.Spec.Containers[i]; ct.Name == name {
			c.probes(w, ct)
			return ct
		}
	}
	c.fail(w, "no container named %q", name)
	return nil
}

// probes: readiness on /readyz, liveness on /healthz, over HTTP.
func (c *checker) probes(w Workload, ct *corev1.Container) {
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{{"readinessProbe", ct.ReadinessProbe, "/readyz"}, {"livenessProbe", ct.LivenessProbe, "/healthz"}} {
		if p.probe == nil {
			continue // reported by workload
		}
		if p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path {
			c.fail(w, "container %s: %s must be an HTTP GET of %s", ct.Name, p.kind, p.path)
		}
	}
}

// grace: the pod's termination grace period outlasts the binary's drain.
func (c *checker) grace(w Workload, ct *corev1.Container, def time.Duration) {
	drain := def
	if v, ok := c.set.EnvValue(w.Namespace(), ct, "AVATAR_SHUTDOWN_TIMEOUT"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			c.fail(w, "AVATAR_SHUTDOWN_TIMEOUT %q: %v", v, err)
			return
		}
		drain = d
	}
	wait := defaultTerminationWait
	if g := w.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		wait = time.Duration(*g) * time.Second
	}
	if wait <= drain {
		c.fail(w, "terminationGracePeriodSeconds %s does not outlast AVATAR_SHUTDOWN_TIMEOUT %s: live calls would be killed mid-drain", wait, drain)
	}
}

func (c *checker) core(w Workload) {
	if w.GVK.Kind != "Deployment" {
		c.fail(w, "the core runs as a Deployment")
	}
	ct := c.mainContainer(w, "core")
	if ct == nil {
		return
	}
	c.grace(w, ct, defaultCoreShutdown)
	hasHPA, hasPDB := false, false
	for _, o := range c.set.Objects {
		switch obj := o.Object.(type) {
		case *autoscalingv2.HorizontalPodAutoscaler:
			hasHPA = hasHPA || obj.Spec.ScaleTargetRef.Kind == w.GVK.Kind && obj.Spec.ScaleTargetRef.Name == w.Name()
		case *policyv1.PodDisruptionBudget:
			if obj.Spec.Selector != nil && o.Namespace() == w.Namespace() {
				sel, err := metav1.LabelSelectorAsSelector(obj.Spec.Selector)
				hasPDB = hasPDB || err == nil && sel.Matches(labels.Set(w.Template.Labels))
			}
		}
	}
	if !hasHPA {
		c.fail(w, "no HorizontalPodAutoscaler scales the core")
	}
	if !hasPDB {
		c.fail(w, "no PodDisruptionBudget covers the core")
	}
}

func (c *checker) edge(w Workload) {
	ct := c.mainContainer(w, "edge")
	if ct == nil {
		return
	}
	c.grace(w, ct, defaultEdgeShutdown)
	ns := w.Namespace()
	region, ok := c.set.EnvValue(ns, ct, "AVATAR_REGION")
	switch {
	case !ok || region == "":
		c.fail(w, "container edge has no AVATAR_REGION")
	case w.Template.Labels[RegionLabel] != region:
		c.fail(w, "pod label %s=%q differs from AVATAR_REGION %q", RegionLabel, w.Template.Labels[RegionLabel], region)
	}
	port := int32(defaultEdgeUDPPort)
	if v, ok := c.set.EnvValue(ns, ct, "AVATAR_EDGE_UDP_PORT"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			c.fail(w, "AVATAR_EDGE_UDP_PORT %q: %v", v, err)
			return
		}
		port = int32(n)
	}
	udp := intstr.FromInt32(port)
	if !declaresPort(&w.Template.Spec, udp, corev1.ProtocolUDP) {
		c.fail(w, "container edge does not declare its media port %d/UDP", port)
		return
	}
	if w.Template.Spec.HostNetwork {
		return
	}
	// Without the host network, a LoadBalancer or NodePort Service must carry the port.
	for _, o := range c.set.Objects {
		svc, ok := o.Object.(*corev1.Service)
		if !ok || o.Namespace() != ns || len(svc.Spec.Selector) == 0 ||
			svc.Spec.Type != corev1.ServiceTypeLoadBalancer && svc.Spec.Type != corev1.ServiceTypeNodePort ||
			!labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.Template.Labels)) {
			continue
		}
		for _, p := range svc.Spec.Ports {
			if p.Protocol == corev1.ProtocolUDP && (p.TargetPort.IntVal == port || p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == 0 && p.Port == port) {
				return
			}
		}
	}
	c.fail(w, "media port %d/UDP is reachable neither through the host network nor through a UDP LoadBalancer or NodePort Service", port)
}
