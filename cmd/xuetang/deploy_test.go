package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/xuetang-edu/xuetang/internal/config"
)

// The deploy/ examples are read by people who copy them; these tests keep
// them parseable and in step with the app: the variables it reads, the
// routes it serves, the port it listens on and the time it takes to stop.

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sEnv struct {
	Name      string  `yaml:"name"`
	Value     *string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		// Deployment
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Env            []k8sEnv  `yaml:"env"`
					StartupProbe   *k8sProbe `yaml:"startupProbe"`
					LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
					ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
					Lifecycle      struct {
						PreStop struct {
							Sleep struct {
								Seconds int `yaml:"seconds"`
							} `yaml:"sleep"`
						} `yaml:"preStop"`
					} `yaml:"lifecycle"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim *struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
		// Service (its selector is a plain map, read separately)
		Ports []struct {
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		// HorizontalPodAutoscaler
		ScaleTargetRef struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		// PersistentVolumeClaim
		AccessModes []string `yaml:"accessModes"`
	} `yaml:"spec"`
	StringData map[string]string `yaml:"stringData"`
	raw        map[string]any
}

// readManifests parses every document of every file in deploy/kubernetes.
func readManifests(t *testing.T) map[string][]k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "deploy", "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes (%v)", err)
	}
	byKind := map[string][]k8sObject{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 1; ; i++ {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			var o k8sObject
			if err == nil {
				err = doc.Decode(&o)
			}
			if err == nil {
				err = doc.Decode(&o.raw)
			}
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s document %d: apiVersion, kind and metadata.name are required", f, i)
			}
			byKind[o.Kind] = append(byKind[o.Kind], o)
		}
	}
	return byKind
}

func TestKubernetesManifests(t *testing.T) {
	byKind := readManifests(t)
	for _, kind := range []string{"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "PersistentVolumeClaim", "Secret"} {
		if len(byKind[kind]) != 1 {
			t.Fatalf("want one %s, found %d", kind, len(byKind[kind]))
		}
	}
	dep := byKind["Deployment"][0]
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, found %d", len(pod.Containers))
	}
	ctr := pod.Containers[0]
	for k, v := range dep.Spec.Selector.MatchLabels {
		if dep.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the Deployment's selector %s=%s does not match its pods", k, v)
		}
	}

	// The environment, secrets filled in from the example Secret, must be
	// a configuration the app accepts.
	secret := byKind["Secret"][0]
	env := map[string]string{}
	for _, e := range ctr.Env {
		switch {
		case e.Value != nil:
			env[e.Name] = *e.Value
		case e.ValueFrom != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := secret.StringData[ref.Key]
			if ref.Name != secret.Metadata.Name || !ok {
				t.Errorf("%s comes from secret %s key %s, which the example Secret lacks", e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = v
		}
	}
	for _, v := range []string{"XUETANG_DATABASE_URL", "XUETANG_REDIS_URL"} {
		if slices.IndexFunc(ctr.Env, func(e k8sEnv) bool { return e.Name == v && e.ValueFrom != nil }) < 0 {
			t.Errorf("%s should come from the Secret", v)
		}
	}
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatalf("the Deployment's environment: %v", err)
	}
	if cfg.DatabaseURL == "" || cfg.RedisURL == "" || !cfg.TrustProxy {
		t.Error("the Deployment should set a MySQL URL, a Redis URL and XUETANG_TRUST_PROXY")
	}

	_, port, _ := net.SplitHostPort(cfg.Addr)
	ports := map[string]int{}
	for _, p := range ctr.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if strconv.Itoa(ports["http"]) != port {
		t.Errorf("containerPort http = %d, XUETANG_ADDR listens on %s", ports["http"], port)
	}
	probes := []struct {
		name  string
		probe *k8sProbe
		path  string
	}{{"startupProbe", ctr.StartupProbe, "/healthz"}, {"livenessProbe", ctr.LivenessProbe, "/healthz"},
		{"readinessProbe", ctr.ReadinessProbe, "/readyz"}}
	for _, p := range probes {
		if p.probe == nil {
			t.Errorf("no %s", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != "http" {
			t.Errorf("%s GET %s on port %q; want %s on the http port", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port, p.path)
		}
	}
	// The kubelet kills what is still running after the grace period.
	preStop := time.Duration(ctr.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	if need := preStop + cfg.DrainTimeout + cfg.ShutdownTimeout; time.Duration(pod.TerminationGracePeriodSeconds)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %d is not more than preStop %v + drain %v + shutdown %v",
			pod.TerminationGracePeriodSeconds, preStop, cfg.DrainTimeout, cfg.ShutdownTimeout)
	}
	if preStop == 0 || cfg.DrainTimeout == 0 {
		t.Error("want both a preStop pause and a drain")
	}

	// The shared dir is the ReadWriteMany claim; the data dir is mounted.
	mounts := map[string]string{}
	for _, m := range ctr.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	if _, ok := mounts[cfg.DataDir]; !ok {
		t.Errorf("nothing mounted at XUETANG_DATA_DIR %s (the root filesystem is read-only)", cfg.DataDir)
	}
	pvc := byKind["PersistentVolumeClaim"][0]
	shared := false
	for _, v := range pod.Volumes {
		if v.Name == mounts[cfg.SharedDir] && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Metadata.Name {
			shared = true
		}
	}
	if !shared || !slices.Contains(pvc.Spec.AccessModes, "ReadWriteMany") {
		t.Errorf("XUETANG_SHARED_DIR %s should be the ReadWriteMany claim %s mounted in every pod", cfg.SharedDir, pvc.Metadata.Name)
	}

	svc := byKind["Service"][0]
	sel, _ := svc.raw["spec"].(map[string]any)["selector"].(map[string]any)
	if len(sel) == 0 {
		t.Error("the Service has no selector")
	}
	for k, v := range sel {
		if dep.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the Service selects %s=%v, which the pods lack", k, v)
		}
	}
	if len(svc.Spec.Ports) != 1 || ports[svc.Spec.Ports[0].TargetPort] == 0 {
		t.Errorf("the Service's targetPort should name the container's port: %+v", svc.Spec.Ports)
	}
	hpa := byKind["HorizontalPodAutoscaler"][0]
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != dep.Metadata.Name || hpa.Spec.MinReplicas < 2 {
		t.Errorf("the autoscaler should scale Deployment %s from at least 2 pods: %+v min %d", dep.Metadata.Name,
			hpa.Spec.ScaleTargetRef, hpa.Spec.MinReplicas)
	}

	// The probed paths are the app's: both answer 200 on a running server.
	env = serveEnv(t)
	env["XUETANG_DRAIN_TIMEOUT"] = "0s"
	addr, code, _, _ := startRun(t, env)
	for _, p := range probes {
		if status, body := get(t, "http://"+addr+p.path); status != 200 {
			t.Errorf("%s: GET %s = %d %s", p.name, p.path, status, body)
		}
	}
	sigterm(t)
	if c := <-code; c != 0 {
		t.Errorf("run returned %d", c)
	}
}

// The nginx example: retries as docs/OPERATIONS.md describes them, and,
// when nginx is installed, a configuration nginx itself accepts.
func TestNginxExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "nginx", "xuetang.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	// Comments are for people; the directives are what nginx reads.
	directives := regexp.MustCompile(`(?m)#.*$`).ReplaceAllString(conf, "")
	servers := regexp.MustCompile(`(?m)^\s*server\s+(\S+:\d+)\s+([^;]*);`).FindAllStringSubmatch(directives, -1)
	if len(servers) < 2 {
		t.Fatalf("want an upstream of at least two instances, found %d", len(servers))
	}
	for _, s := range servers {
		if !strings.Contains(s[2], "max_fails=") || !strings.HasSuffix(s[1], ":8080") {
			t.Errorf("upstream server %s %s: want port 8080 (the image's XUETANG_ADDR) and max_fails", s[1], s[2])
		}
	}
	defaults, _ := config.FromEnv(mapEnv(nil))
	m := regexp.MustCompile(`keepalive_timeout\s+(\d+)s;`).FindStringSubmatch(directives)
	if m == nil {
		t.Fatal("no keepalive_timeout for the upstream connections")
	}
	if secs, _ := strconv.Atoi(m[1]); time.Duration(secs)*time.Second >= defaults.DrainTimeout {
		t.Errorf("upstream keepalive_timeout %ss is not shorter than the default drain %v", m[1], defaults.DrainTimeout)
	}
	retries := regexp.MustCompile(`proxy_next_upstream\s+([^;]*);`).FindAllStringSubmatch(directives, -1)
	idempotentOnly := 0
	for _, r := range retries {
		if !strings.Contains(r[1], "error") || !strings.Contains(r[1], "http_503") {
			t.Errorf("proxy_next_upstream %s: want at least error and http_503", r[1])
		}
		if !strings.Contains(r[1], "non_idempotent") {
			idempotentOnly++
		}
	}
	progress := regexp.MustCompile(`(?s)location = /api/v1/progress \{[^}]*proxy_next_upstream [^;]*non_idempotent;`)
	if len(retries) != 2 || idempotentOnly != 1 || !progress.MatchString(directives) {
		t.Error("want retries of non-idempotent requests in the progress location alone (event ids make it safe)")
	}
	for _, want := range []string{"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", "proxy_set_header Host $host;", "gzip off;"} {
		if !strings.Contains(directives, want) {
			t.Errorf("missing %q", want)
		}
	}

	nginx := findNginx()
	if nginx == "" {
		t.Log("nginx not installed: syntax not checked by nginx -t")
		return
	}
	dir := t.TempDir()
	cert, key := selfSignedCert(t, dir)
	conf = strings.ReplaceAll(conf, "/etc/ssl/xuetang/fullchain.pem", cert)
	conf = strings.ReplaceAll(conf, "/etc/ssl/xuetang/privkey.pem", key)
	site := filepath.Join(dir, "xuetang.conf")
	if err := os.WriteFile(site, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "nginx.conf")
	wrapper := "pid " + dir + "/nginx.pid;\nevents {}\nhttp {\n  include " + site + ";\n}\n"
	if err := os.WriteFile(main, []byte(wrapper), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nginx, "-t", "-q", "-p", dir+"/", "-e", filepath.Join(dir, "error.log"), "-c", main).CombinedOutput()
	if err != nil {
		t.Errorf("nginx -t rejects deploy/nginx/xuetang.conf: %v\n%s", err, out)
	}
}

func selfSignedCert(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "xuetang.example.org"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"xuetang.example.org"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}
