package manifest_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/avatar-fi/avatar/deploy/check/manifest"
)

// fixture returns testdata/good.yaml with each old→new replacement applied once,
// failing when one does not apply.
func fixture(t *testing.T, replace ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("fixture has no %q", replace[i])
		}
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	return []byte(s)
}

func TestDecode(t *testing.T) {
	objs, err := manifest.Decode("good.yaml", fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 9 {
		t.Fatalf("decoded %d objects, want 9", len(objs))
	}
	d, ok := objs[3].Object.(*appsv1.Deployment)
	if !ok || d.Name != "core" || *d.Spec.Replicas != 2 || objs[3].Source != "good.yaml#4" {
		t.Errorf("object 4 = %s %T, want the core Deployment from good.yaml#4", objs[3], objs[3].Object)
	}
}

func TestDecodeFails(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{name: "unknown field", old: "  replicas: 2", new: "  replica: 2", want: `unknown field "spec.replica"`},
		{name: "misplaced field", old: "      terminationGracePeriodSeconds: 30", new: "      terminationGracePeriod: 30", want: "unknown field"},
		{name: "duplicate field", old: "  replicas: 2", new: "  replicas: 2\n  replicas: 3", want: "replicas"},
		{name: "wrong type", old: "  replicas: 2", new: `  replicas: "two"`, want: "replicas"},
		{name: "unknown kind", old: "kind: Deployment", new: "kind: Deploymnt", want: "Deploymnt"},
		{name: "custom resource", old: "apiVersion: v1\nkind: Namespace", new: "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster", want: "postgresql.cnpg.io"},
		{name: "no name", old: "  name: core-env\n", new: "  generateName: core-env-\n", want: "no metadata.name"},
		{name: "bad quantity", old: "cpu: 100m, memory: 128Mi}\n            limits", new: "cpu: lots, memory: 128Mi}\n            limits", want: "quantities must match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Decode("bad.yaml", fixture(t, tt.old, tt.new))
			if !errors.Is(err, manifest.ErrDecode) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode: %v, want ErrDecode mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCheckPasses(t *testing.T) {
	objs, err := manifest.Decode("good.yaml", fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	set := &manifest.Set{Objects: objs}
	for _, err := range set.Check() {
		t.Error(err)
	}
}

func TestCheckFinds(t *testing.T) {
	tests := []struct {
		name    string
		replace []string
		want    string
	}{
		{name: "no memory limit", replace: []string{"limits: {cpu: \"1\", memory: 256Mi}", "limits: {cpu: \"1\"}"}, want: "container core has no memory limit"},
		{name: "init container without requests", replace: []string{"requests: {cpu: 10m, memory: 16Mi}\n", ""}, want: "container setup has no cpu request"},
		{name: "latest image", replace: []string{"avatar-core:1.2.3", "avatar-core:latest"}, want: "not pinned"},
		{name: "untagged image", replace: []string{"avatar-core:1.2.3", "avatar-core"}, want: "not pinned"},
		{name: "no readiness probe", replace: []string{"          readinessProbe:\n            httpGet: {path: /readyz, port: http}\n", ""}, want: "container edge has no readinessProbe"},
		{name: "readiness on the wrong path", replace: []string{"path: /readyz\n", "path: /healthz\n"}, want: "readinessProbe must be an HTTP GET of /readyz"},
		{name: "selector misses the template", replace: []string{"    matchLabels:\n      app.kubernetes.io/name: avatar-core\n  template", "    matchLabels:\n      app.kubernetes.io/name: core\n  template"}, want: "does not match the pod template"},
		{name: "missing secret key", replace: []string{"key: AVATAR_DATABASE_URL", "key: AVATAR_DB_URL"}, want: `has no key "AVATAR_DB_URL"`},
		{name: "missing config map", replace: []string{"name: core-env\n          env:\n            - name: AVATAR_DATABASE_URL", "name: core-envs\n          env:\n            - name: AVATAR_DATABASE_URL"}, want: `envFrom ConfigMap "core-envs"`},
		{name: "real secret", replace: []string{"u:CHANGE_ME@db", "u:hunter2@db"}, want: "without CHANGE_ME"},
		{name: "service selects nothing", replace: []string{"spec:\n  selector:\n    app.kubernetes.io/name: avatar-core\n  ports", "spec:\n  selector:\n    app.kubernetes.io/name: nothing\n  ports"}, want: "matches no pod template"},
		{name: "service port not declared", replace: []string{"      targetPort: http", "      targetPort: grpc"}, want: "does not declare"},
		{name: "no HPA for the core", replace: []string{"kind: Deployment, name: core}", "kind: Deployment, name: edge}"}, want: "scaleTargetRef Deployment/edge is not in the set"},
		{name: "grace shorter than the drain", replace: []string{"terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 10"}, want: "does not outlast AVATAR_SHUTDOWN_TIMEOUT"},
		{name: "host network without cluster DNS", replace: []string{"      dnsPolicy: ClusterFirstWithHostNet\n", ""}, want: "dnsPolicy ClusterFirstWithHostNet"},
		{name: "edge without its UDP port", replace: []string{"              protocol: UDP\n", ""}, want: "media port 8091/UDP"},
		{name: "UDP port moved, not the container's", replace: []string{`AVATAR_EDGE_UDP_PORT: "8091"`, `AVATAR_EDGE_UDP_PORT: "9000"`}, want: "media port 9000/UDP"},
		{name: "region label differs", replace: []string{"              value: eu", "              value: us"}, want: `differs from AVATAR_REGION "us"`},
		{name: "no region", replace: []string{"            - name: AVATAR_REGION\n              value: eu\n", ""}, want: "no AVATAR_REGION"},
		{name: "unknown service account", replace: []string{"serviceAccountName: edge", "serviceAccountName: edges"}, want: `no such ServiceAccount`},
		{name: "mount of an undefined volume", replace: []string{"        - name: run\n          emptyDir", "        - name: tmp\n          emptyDir"}, want: `mounts volume "run"`},
		{name: "other namespace", replace: []string{"  name: core\n  namespace: demo\nspec:\n  selector", "  name: core\n  namespace: other\nspec:\n  selector"}, want: `namespace "other"`},
		{name: "edge behind no UDP path", replace: []string{"      hostNetwork: true\n      dnsPolicy: ClusterFirstWithHostNet\n", ""}, want: "reachable neither through the host network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := manifest.Decode("bad.yaml", fixture(t, tt.replace...))
			if err != nil {
				t.Fatal(err)
			}
			set := &manifest.Set{Objects: objs}
			var msgs []string
			for _, err := range set.Check() {
				if !errors.Is(err, manifest.ErrPolicy) {
					t.Errorf("%v does not wrap ErrPolicy", err)
				}
				msgs = append(msgs, err.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("findings %q\nwant one with %q", msgs, tt.want)
			}
		})
	}
}

func TestEdgeThroughUDPLoadBalancer(t *testing.T) {
	data := fixture(t, "      hostNetwork: true\n      dnsPolicy: ClusterFirstWithHostNet\n", "")
	data = append(data, []byte(`---
apiVersion: v1
kind: Service
metadata:
  name: edge-media
  namespace: demo
spec:
  type: LoadBalancer
  selector:
    app.kubernetes.io/name: avatar-edge
  ports:
    - name: media
      port: 8091
      protocol: UDP
`)...)
	objs, err := manifest.Decode("lb.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	set := &manifest.Set{Objects: objs}
	for _, err := range set.Check() {
		t.Error(err)
	}
}

func TestEnv(t *testing.T) {
	objs, err := manifest.Decode("good.yaml", fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	set := &manifest.Set{Objects: objs}
	names := set.EnvNames()
	for _, n := range []string{"AVATAR_SHUTDOWN_TIMEOUT", "AVATAR_EDGE_UDP_PORT", "AVATAR_DATABASE_URL", "AVATAR_REGION"} {
		if _, ok := names[n]; !ok {
			t.Errorf("EnvNames has no %s: %v", n, names)
		}
	}
	var edge *appsv1.DaemonSet
	for _, o := range objs {
		if d, ok := o.Object.(*appsv1.DaemonSet); ok {
			edge = d
		}
	}
	c := &edge.Spec.Template.Spec.Containers[0]
	tests := []struct {
		name, env, want string
		found           bool
	}{
		{name: "literal", env: "AVATAR_REGION", want: "eu", found: true},
		{name: "from a config map", env: "AVATAR_EDGE_UDP_PORT", want: "8091", found: true},
		{name: "absent", env: "AVATAR_NOPE", want: "", found: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := set.EnvValue("demo", c, tt.env)
			if got != tt.want || found != tt.found {
				t.Errorf("EnvValue(%s) = %q, %v; want %q, %v", tt.env, got, found, tt.want, tt.found)
			}
		})
	}
}
