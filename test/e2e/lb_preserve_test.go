package e2e

import (
	"errors"
	"testing"
)

// testLBPreserveFalse: preserve-lb-on-delete: "false" keeps the CLB, as the
// official CCM does for any non-empty value, and a Warning event names the
// key and the value. (The delete path used to read it as "delete" while the
// parser read it as "keep".)
func testLBPreserveFalse(t *testing.T, w *lbWorld) {
	svc := w.createService(t, "preserve-false", nil, "preserve-lb-on-delete", "false")
	svc = w.waitIngress(t, "default", svc.Name)
	var id string
	w.waitState(t, "the CLB of "+svc.Name, func(s *clbState) error {
		if i := s.lbIndex("", svc); i >= 0 {
			id = s.LBs[i].LB.LoadBalancerId
			return nil
		}
		return errors.New("no CLB yet")
	})
	w.deleteAndWait(t, "default", svc.Name)
	w.waitWarning(t, "default", svc.Name, `preserve-lb-on-delete="false"`)
	w.waitState(t, "the CLB kept and handed over", func(s *clbState) error { return preservedCLB(s, id) })
	w.deleteCLBByHand(t, id)
}
