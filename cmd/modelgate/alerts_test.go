package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"crypto/x509"

	"github.com/modelgate/modelgate/decision"
	"github.com/modelgate/modelgate/output"
	"github.com/modelgate/modelgate/testkit"
	"github.com/modelgate/modelgate/vsa"
	"sigs.k8s.io/yaml"
)

// alertStory is a ledger where fraud-scorer v1 was promoted two hours ago
// and v2 five minutes ago, and serve receives alerts.
type alertStory struct {
	r       *pipelineRun
	store   string // the store directory; its ledger is store/tlog
	w       *webhook
	token   string
	args    []string
	certPEM string
}

func newAlertStory(t *testing.T, extra ...string) *alertStory {
	r := newRun(t, "medium")
	testkit.RequireStaging(r.policy)
	storeDir := filepath.Join(r.dir, "store")
	store := ledgerOf(t, r.p, storeDir)
	now := time.Now().UTC()
	for n, at := range []time.Time{1: now.Add(-2 * time.Hour), 2: now.Add(-5 * time.Minute)} {
		if n == 0 {
			continue
		}
		record(t, store, r.p.Gate, vsa.KindDecision, "staging", digestOf(n), "medium", at, nil)
		record(t, store, r.p.Gate, vsa.KindDecision, "production", digestOf(n), "medium", at.Add(time.Second), nil)
	}
	certFile, keyFile, pool := selfSigned(t, r.dir, "serving")
	gatePub := filepath.Join(r.dir, "gate.pub")
	os.WriteFile(gatePub, r.p.Gate.PubPEM, 0o644)
	token := "s3cret-token-0123456789abcdef"
	tokenFile := filepath.Join(r.dir, "token")
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)
	args := append([]string{"--tls-cert", certFile, "--tls-key", keyFile, "--gate-key", gatePub, "--policy", r.policy, "--store", "dir:" + storeDir,
		"--rollback-key", r.p.Gate.WriteKey(r.dir), "--alert-token-file", tokenFile}, extra...)
	w := startWebhook(t, pool, args...)
	return &alertStory{r: r, store: storeDir, w: w, token: token, args: args, certPEM: certFile}
}

// post sends an Alertmanager notification straight to serve.
func (s *alertStory) post(t *testing.T, token, group, status string, labels map[string]string) (int, string) {
	n := map[string]any{"version": "4", "groupKey": group, "status": status, "receiver": "modelgate", "groupLabels": map[string]string{},
		"commonLabels": labels, "commonAnnotations": map[string]string{}, "externalURL": "http://am", "truncatedAlerts": 0,
		"alerts": []any{map[string]any{"status": status, "labels": labels, "annotations": map[string]string{"summary": "conversion fell 30%"},
			"startsAt": time.Now().UTC().Format(time.RFC3339Nano), "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom", "fingerprint": "f1"}}}
	body, _ := json.Marshal(n)
	req, _ := http.NewRequest("POST", "https://"+s.w.addr+"/alerts/production", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.w.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// rollbacks counts the rollback records in the store's ledger.
func (s *alertStory) rollbacks(t *testing.T) int {
	n := 0
	for _, e := range logEntries(t, s.r.p, s.store) {
		if bytes.Contains(decodePayload(e), []byte(`"kind":"rollback"`)) {
			n++
		}
	}
	return n
}

// decodePayload reads a DSSE envelope's payload without verifying it.
func decodePayload(data []byte) []byte {
	var env struct{ Payload []byte }
	json.Unmarshal(data, &env)
	return env.Payload
}

var fraudAlert = map[string]string{"alertname": "ConversionDrop", "modelgate_model": "fraud-scorer", "severity": "page"}

// Alerts roll back: a real Prometheus Alertmanager routes a firing alert
// to serve, which writes the signed rollback record; admission then admits
// the previous champion. A wrong token, a resolved alert, a repeat and a
// second alert within the window write nothing.
func TestAlertmanagerRollsBack(t *testing.T) {
	am := testkit.Tool(t, "alertmanager")
	s := newAlertStory(t)
	ref := func(n int) string { return "fraud-scorer@sha256:" + digestOf(n) }
	pod := func(n int) []byte {
		return review(fmt.Sprint("p", n), "Pod", "CREATE", objectOf("Pod", ref(n), "", ""), nil)
	}
	if _, a := s.w.send(t, "production", pod(2)); !a.Response.Allowed {
		t.Fatalf("v2 before the alert: %+v", a.Response)
	}

	// A wrong token: 401, nothing written.
	if code, body := s.post(t, "wrong-token-0123456789", "{}:{alertname=\"ConversionDrop\"}", "firing", fraudAlert); code != 401 || !strings.Contains(body, "a bearer token is required") {
		t.Fatalf("wrong token: %d %s", code, body)
	}
	// A resolved alert: nothing written.
	if code, body := s.post(t, s.token, "resolved-group", "resolved", fraudAlert); code != 200 || !strings.Contains(body, `"outcome":"resolved"`) {
		t.Fatalf("resolved: %d %s", code, body)
	}
	if n := s.rollbacks(t); n != 0 {
		t.Fatalf("%d rollbacks written before any firing alert", n)
	}

	// Alertmanager, on loopback, routes to serve with the token.
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(s.token), 0o600)
	amAddr := freeAddr(t)
	config := fmt.Sprintf(`route:
  receiver: modelgate
  group_by: [alertname, modelgate_model]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
- name: modelgate
  webhook_configs:
  - url: https://%s/alerts/production
    send_resolved: true
    http_config:
      authorization: {type: Bearer, credentials_file: %s}
      tls_config: {ca_file: %s}
`, s.w.addr, tokenFile, s.certPEM)
	os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(config), 0o644)
	amLog := &lockedBuffer{}
	cmd := exec.Command(am, "--config.file="+filepath.Join(dir, "alertmanager.yml"), "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = amLog, amLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + amAddr + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager did not start: %s", amLog.String())
		}
	}

	// Prometheus posts the firing alert; time it to the signed record.
	alert, _ := json.Marshal([]any{map[string]any{"labels": fraudAlert, "annotations": map[string]string{"summary": "conversion fell 30% within 10 minutes of the promotion"},
		"startsAt": time.Now().UTC().Format(time.RFC3339), "generatorURL": "http://prometheus/graph"}})
	start := time.Now()
	resp, err := http.Post("http://"+amAddr+"/api/v2/alerts", "application/json", bytes.NewReader(alert))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("posting the alert: %v %v", err, resp)
	}
	resp.Body.Close()
	var took time.Duration
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if s.rollbacks(t) > 0 {
			took = time.Since(start)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rollback 30 s after the alert\nserve: %s\nalertmanager: %s", s.w.log.String(), amLog.String())
		}
	}
	t.Logf("alert posted to Alertmanager → signed rollback in the store: %s", took)
	if took > 5*time.Second {
		t.Errorf("the rollback took %s, over the 5 s goal", took)
	}

	// The same record as 'modelgate rollback': history names it and its reason.
	code, out, stderr := runCLI("history", "--model", "fraud-scorer", "--env", "production", "--policy", s.r.policy, "--store", "dir:"+s.store)
	if code != 0 || !strings.Contains(out, "ROLLBACK from sha256:"+digestOf(2)[:12]+": alert ConversionDrop {alertname=\"ConversionDrop\", modelgate_model=\"fraud-scorer\", severity=\"page\"} {summary=\"conversion fell 30% within 10 minutes of the promotion\"}") {
		t.Fatalf("history: exit %d\n%s%s", code, out, stderr)
	}
	// Admission admits the previous champion at once, and no longer v2.
	if _, a := s.w.send(t, "production", pod(1)); !a.Response.Allowed {
		t.Fatalf("v1 after the rollback: %+v", a.Response)
	}
	if _, a := s.w.send(t, "production", pod(2)); a.Response.Allowed || !strings.Contains(a.Response.Status.Message, "rolled back") {
		t.Fatalf("v2 after the rollback: %+v", a.Response)
	}

	// A repeat of the group, and another alert group within the window:
	// nothing more is written.
	for _, group := range []string{"{}:{alertname=\"ConversionDrop\", modelgate_model=\"fraud-scorer\"}", "another-group"} {
		if code, body := s.post(t, s.token, group, "firing", fraudAlert); code != 200 || !strings.Contains(body, `"outcome":"already-rolled-back"`) {
			t.Fatalf("alert of group %s: %d %s", group, code, body)
		}
	}
	if n := s.rollbacks(t); n != 1 {
		t.Fatalf("%d rollbacks, want 1", n)
	}
	// A fix is promoted; Alertmanager keeps re-sending the group (the same
	// alert: its fingerprint and start): the fix stays admitted, and no
	// second rollback is written.
	fix := ledgerOf(t, s.r.p, s.store)
	later := time.Now().UTC()
	record(t, fix, s.r.p.Gate, vsa.KindDecision, "staging", digestOf(3), "medium", later.Add(-2*time.Millisecond), nil)
	record(t, fix, s.r.p.Gate, vsa.KindDecision, "production", digestOf(3), "medium", later.Add(-time.Millisecond), nil)
	waitFor(t, "the fix to be admitted", 3*time.Second, func() bool {
		_, a := s.w.send(t, "production", pod(3))
		return a.Response.Allowed
	})
	repeats := strings.Count(s.w.log.String(), `"outcome":"repeat"`)
	s.w.logUntil(func(log string) bool { return strings.Count(log, `"outcome":"repeat"`) > repeats })
	if strings.Count(s.w.log.String(), `"outcome":"repeat"`) <= repeats {
		t.Fatalf("Alertmanager did not re-send the group within 10 s:\n%s", amLog.String())
	}
	if _, a := s.w.send(t, "production", pod(3)); !a.Response.Allowed {
		t.Fatalf("the fix after Alertmanager re-sent the alert: %+v", a.Response)
	}
	if n := s.rollbacks(t); n != 1 {
		t.Fatalf("%d rollbacks after the re-sent alert, want 1", n)
	}
	if !strings.Contains(s.w.log.String(), "already rolled fraud-scorer back in production at ") {
		t.Fatal("the repeat's answer does not say what the alert did before")
	}

	// The audit log names each call, and the metrics count them.
	audit := []string{`"msg":"alert refused"`, `"outcome":"unauthorised"`, `"outcome":"rolled-back"`, `"outcome":"already-rolled-back"`}
	log := s.w.logUntil(func(log string) bool {
		return !slices.ContainsFunc(audit, func(want string) bool { return !strings.Contains(log, want) })
	})
	for _, want := range audit {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
	mresp, err := s.w.client.Get("https://" + s.w.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{`modelgate_alerts_total{environment="production",outcome="rolled-back"} 1`, `modelgate_alerts_total{environment="production",outcome="unauthorised"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A promotion older than --rollback-window is not rolled back by an alert,
// and serve refuses a rollback key that could not admit, or no token.
func TestAlertOutsideTheWindow(t *testing.T) {
	s := newAlertStory(t, "--rollback-window", "1m")
	code, body := s.post(t, s.token, "g", "firing", fraudAlert)
	if code != 200 || !strings.Contains(body, `"outcome":"outside-window"`) || !strings.Contains(body, "outside the 1m0s window: roll back by hand if you mean it") {
		t.Fatalf("%d %s", code, body)
	}
	code, body = s.post(t, s.token, "g", "firing", map[string]string{"alertname": "HighLatency"})
	if code != 200 || !strings.Contains(body, `"outcome":"no-model"`) {
		t.Fatalf("an alert naming no model: %d %s", code, body)
	}
	if n := s.rollbacks(t); n != 0 {
		t.Fatalf("%d rollbacks written", n)
	}

	alice := s.r.p.Alice.WriteKey(s.r.dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rollback-key", alice}, "--rollback-key: signer alice lacks the gate role"},
		{[]string{"--alert-token-file", ""}, "--rollback-key and --alert-token-file go together"},
	} {
		args := append([]string{"serve", "--listen", "127.0.0.1:0"}, s.args...)
		args = append(args, c.args...)
		code, _, stderr := runCLI(args...)
		undecided(t, code, stderr, c.want)
	}
	short := filepath.Join(s.r.dir, "short")
	os.WriteFile(short, []byte("abc"), 0o600)
	code, _, stderr := runCLI(append(append([]string{"serve", "--listen", "127.0.0.1:0"}, s.args...), "--alert-token-file", short)...)
	undecided(t, code, stderr, "want one token of at least 16 characters")
}

// notification is an Alertmanager notification of one firing alert.
func notification(group, fingerprint string, startsAt time.Time, labels map[string]string) []byte {
	n := map[string]any{"version": "4", "groupKey": group, "status": "firing", "receiver": "modelgate", "groupLabels": map[string]string{},
		"commonLabels": labels, "commonAnnotations": map[string]string{}, "externalURL": "http://am", "truncatedAlerts": 0,
		"alerts": []any{map[string]any{"status": "firing", "labels": labels, "annotations": map[string]string{"summary": "conversion fell 30%"},
			"startsAt": startsAt.UTC().Format(time.RFC3339Nano), "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom", "fingerprint": fingerprint}}}
	out, _ := json.Marshal(n)
	return out
}

// postTo sends a notification to one serve.
func postTo(t *testing.T, w *webhook, token, env string, body []byte) (int, string) {
	req, _ := http.NewRequest("POST", "https://"+w.addr+"/alerts/"+env, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// Two replicas on one ledger receive the same notification at the same
// moment: one rollback counts, and both answers agree with it.
func TestTwoReplicasOneRollback(t *testing.T) {
	s := newAlertStory(t)
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(s.certPEM)
	pool.AppendCertsFromPEM(pem)
	other := startWebhook(t, pool, s.args...)
	body := notification("{}:{alertname=\"ConversionDrop\"}", "6f2c1a", time.Now().Add(-time.Second), fraudAlert)
	answers := make([]string, 2)
	var wg sync.WaitGroup
	for i, w := range []*webhook{s.w, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out := postTo(t, w, s.token, "production", body)
			if code != 200 {
				t.Errorf("replica %d: %d %s", i, code, out)
			}
			answers[i] = out
		}()
	}
	wg.Wait()
	rolled := 0
	var records []string
	for _, a := range answers {
		var res struct{ Results []admissionResult }
		json.Unmarshal([]byte(a), &res)
		if len(res.Results) != 1 {
			t.Fatalf("answer %s", a)
		}
		switch res.Results[0].Outcome {
		case "rolled-back":
			rolled++
		case "repeat":
		default:
			t.Fatalf("answer %s", a)
		}
		records = append(records, res.Results[0].Record)
	}
	if rolled != 1 || records[0] != records[1] {
		t.Fatalf("one rollback must count, and both answers name it: %v", answers)
	}
	// Whatever each replica wrote, the ledger's state is one rollback.
	for _, w := range []*webhook{s.w, other} {
		waitFor(t, "both replicas to follow the rollback", 3*time.Second, func() bool {
			_, a1 := w.send(t, "production", review("v1", "Pod", "CREATE", objectOf("Pod", "fraud-scorer@sha256:"+digestOf(1), "", ""), nil))
			_, a2 := w.send(t, "production", review("v2", "Pod", "CREATE", objectOf("Pod", "fraud-scorer@sha256:"+digestOf(2), "", ""), nil))
			return a1.Response.Allowed && !a2.Response.Allowed
		})
	}
	code, out, _ := runCLI("history", "--model", "fraud-scorer", "--env", "production", "--policy", s.r.policy, "--store", "dir:"+s.store, "--format", "json")
	var h struct{ Records []output.HistoryRow }
	json.Unmarshal([]byte(out), &h)
	counting := 0
	for _, r := range h.Records {
		if r.Kind == vsa.KindRollback && r.RepeatOf == "" {
			counting++
		}
	}
	if code != 0 || counting != 1 {
		t.Fatalf("history: %d counting rollbacks\n%s", counting, out)
	}
	// Sent again later to either replica, it is a repeat.
	if code, out := postTo(t, other, s.token, "production", body); code != 200 || !strings.Contains(out, `"outcome":"repeat"`) || !strings.Contains(out, records[0]) {
		t.Fatalf("re-sent: %d %s", code, out)
	}
}

type admissionResult struct {
	Outcome, Detail, Record string
	Affected                []string
}

// An alert that began before the current champion was promoted is about
// an earlier model; one labelled for another environment is refused; a
// rollback in staging that leaves production's champion inadmissible says
// so in its answer, the audit line and production's history.
func TestAlertsAboutTheRightModel(t *testing.T) {
	s := newAlertStory(t)
	// v2 was promoted 5 minutes ago: an alert that began 10 minutes ago.
	code, out := postTo(t, s.w, s.token, "production", notification("g-old", "aa11", time.Now().Add(-10*time.Minute), fraudAlert))
	if code != 200 || !strings.Contains(out, `"outcome":"stale-alert"`) || !strings.Contains(out, "the alert began before the current champion was promoted") {
		t.Fatalf("an alert older than the champion: %d %s", code, out)
	}
	labelled := map[string]string{"alertname": "ConversionDrop", "modelgate_model": "fraud-scorer", "environment": "staging"}
	code, out = postTo(t, s.w, s.token, "production", notification("g-staging", "bb22", time.Now(), labelled))
	if code != 400 || !strings.Contains(out, "modelgate: the alert ConversionDrop is labelled environment=staging but was posted to /alerts/production; nothing was rolled back: route it to /alerts/staging") {
		t.Fatalf("an alert labelled for staging posted to production: %d %s", code, out)
	}
	if n := s.rollbacks(t); n != 0 {
		t.Fatalf("%d rollbacks written", n)
	}
	// Staging rolls v2 back: production, which requires staging, no
	// longer admits its champion v2.
	code, out = postTo(t, s.w, s.token, "staging", notification("g-stg", "cc33", time.Now(), labelled))
	var res struct{ Results []admissionResult }
	json.Unmarshal([]byte(out), &res)
	if code != 200 || len(res.Results) != 1 || res.Results[0].Outcome != "rolled-back" || len(res.Results[0].Affected) != 1 ||
		!strings.HasPrefix(res.Results[0].Affected[0], "production: its champion fraud-scorer@sha256:"+digestOf(2)+" is no longer admitted (fraud-scorer@sha256:"+digestOf(2)+" is not promoted through staging, which production requires); promote a model through staging again, or roll production back to a digest staging admits") {
		t.Fatalf("a staging rollback: %d %s", code, out)
	}
	log := s.w.logUntil(func(log string) bool { return strings.Contains(log, `"affected":["production: its champion`) })
	if !strings.Contains(log, `"affected":["production: its champion`) {
		t.Fatalf("the audit line does not say what happened to production:\n%s", log)
	}
	code, hist, stderr := runCLI("history", "--model", "fraud-scorer", "--env", "production", "--policy", s.r.policy, "--store", "dir:"+s.store)
	if code != 0 || !strings.Contains(hist, "note: production's newest promotion, fraud-scorer@sha256:"+digestOf(2)+" (decision ") ||
		!strings.Contains(hist, "is not admitted: fraud-scorer@sha256:"+digestOf(2)+" is not promoted through staging, which production requires (fraud-scorer@sha256:"+digestOf(2)+" was rolled back from in staging at ") {
		t.Fatalf("production's history: exit %d\n%s%s", code, hist, stderr)
	}
}

// The approvers a record names are those the policy counted: the trainer's
// own approval, refused as self-approval, is not among them.
func TestRecordedApproversAreTheCountedOnes(t *testing.T) {
	l := newLedgerRun(t, "")
	carol := testkit.NewParty("carol", "ecdsa-p256", "training", "approver")
	signers := append(l.p.Signers(), carol.TrustEntry())
	trust, _ := json.Marshal(map[string]any{"signers": signers})
	os.WriteFile(filepath.Join(l.policy, "modelgate", "trust", "data.yaml"), trust, 0o644)
	v1 := l.version("1")
	p := *l.p
	p.Subject = v1
	envs := p.Envelopes(nil)
	// carol trains it, and approves it for production herself.
	preds := p.Predicates()
	envs["training"] = carol.Sign(v1, "training", preds["training"])
	approval := preds["approval-alice"]
	envs["approval-carol"] = carol.Sign(v1, "approval", approval)
	for _, env := range []string{"staging", "production"} {
		args := []string{"verify", "--subject", v1.String(), "--env", env, "--policy", l.policy, "--store", l.store, "--vsa-key", l.gateKey, "--format", "json"}
		for name, e := range envs {
			path := filepath.Join(l.dir, env+"-"+name+".json")
			os.WriteFile(path, e, 0o644)
			args = append(args, "--evidence", path)
		}
		code, out, stderr := runCLI(args...)
		if env != "production" {
			continue
		}
		var d decision.Decision
		json.Unmarshal([]byte(out), &d)
		carolApproved := slices.ContainsFunc(d.Evidence, func(e decision.EvidenceRef) bool {
			return e.Signer == "carol@example.com" && strings.HasSuffix(e.Type, "/approval/v1")
		})
		if code != 0 || strings.Join(d.Approvers, ",") != "alice@example.com,bob@example.com" || !carolApproved {
			t.Fatalf("production: exit %d approvers %v, carol's approval verified %v\n%s", code, d.Approvers, carolApproved, stderr)
		}
	}
	rows := l.history(t, "--env", "production")
	if len(rows) != 1 || strings.Join(rows[0].Approvers, ",") != "alice@example.com,bob@example.com" {
		t.Fatalf("the record's approvers: %+v", rows)
	}
}

// The platform page's walk after an automatic rollback, with the Argo
// Rollouts example as written: the ReplicaSet the Rollouts controller makes
// from the template for the restored champion (what 'kubectl argo rollouts
// undo' brings back) is admitted; one for the rolled-back digest is denied,
// saying it was rolled back and what is the champion.
func TestArgoRolloutsAfterARollback(t *testing.T) {
	s := newAlertStory(t)
	raw, err := os.ReadFile(filepath.Join(testkit.RepoRoot(), "examples", "argo-rollouts", "rollout.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	replicaSet := func(n int) []byte {
		var rollout map[string]any
		if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(raw), "MODEL_DIGEST", digestOf(n))), &rollout); err != nil {
			t.Fatal(err)
		}
		spec := rollout["spec"].(map[string]any)
		rs := map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet",
			"metadata": map[string]any{"name": fmt.Sprintf("fraud-scorer-%d", n), "namespace": "models",
				"ownerReferences": []any{map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "fraud-scorer", "uid": "u", "controller": true}}},
			"spec": map[string]any{"replicas": spec["replicas"], "selector": spec["selector"], "template": spec["template"]}}
		return review(fmt.Sprint("rs-", n), "ReplicaSet", "CREATE", rs, nil)
	}
	if _, a := s.w.send(t, "production", replicaSet(2)); !a.Response.Allowed {
		t.Fatalf("v2's ReplicaSet before the alert: %+v", a.Response)
	}
	if code, out := postTo(t, s.w, s.token, "production", notification("g", "f1", time.Now(), fraudAlert)); code != 200 || !strings.Contains(out, `"outcome":"rolled-back"`) {
		t.Fatalf("the alert: %d %s", code, out)
	}
	if _, a := s.w.send(t, "production", replicaSet(1)); !a.Response.Allowed {
		t.Fatalf("the restored champion's ReplicaSet (undo): %+v", a.Response)
	}
	_, a := s.w.send(t, "production", replicaSet(2))
	if a.Response.Allowed || !strings.Contains(a.Response.Status.Message, "was rolled back from in production at ") || !strings.Contains(a.Response.Status.Message, "the champion is sha256:"+digestOf(1)) {
		t.Fatalf("the rolled-back digest's ReplicaSet: %+v", a.Response)
	}
}
