package loadbalancer

import (
	"errors"
	"fmt"
	"time"

	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/alicloud-ccm/alicloud-ccm/cloudprovider/cloudapi"
)

// busyRetryAfter is how soon a reconcile stopped by a busy CLB is retried:
// CLBs apply configuration asynchronously and refuse writes meanwhile with
// busy codes (cloudapi.ClassBusy); a fixed short delay converges faster
// than the framework's exponential backoff (5 s .. 300 s).
const busyRetryAfter = 5 * time.Second

// isBusy reports whether err is a busy answer (the CLB applies a previous
// change); the client layer already retried it a few times, so the
// reconcile ends with a cloudproviderapi.RetryError. Classes: cloudapi.ClassOf.
func isBusy(err error) bool { return cloudapi.IsBusy(err) }

// quotaName returns the Quota Center name of the quota err hit, or "".
func quotaName(err error) string { return cloudapi.QuotaName(err) }

// QuotaError is returned when a CLB quota stops the reconcile.
type QuotaError struct {
	// Quota is the Quota Center name, e.g. slb_quota_backendservers_num.
	Quota string
	// Err is the API error.
	Err error
}

// Error names the quota and how to raise it.
func (e *QuotaError) Error() string {
	return fmt.Sprintf("CLB quota %s exceeded (raise it in Quota Center, https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/manage-clb-quotas): %v", e.Quota, e.Err)
}

// Unwrap returns the API error.
func (e *QuotaError) Unwrap() error { return e.Err }

// classifyErr wraps an API error of step with context, turning busy answers
// into a cloudproviderapi.RetryError (so the framework retries at a fixed short delay)
// and quota answers into a *QuotaError.
func classifyErr(step string, err error) error {
	if err == nil {
		return nil
	}
	var re *cloudproviderapi.RetryError
	if errors.As(err, &re) {
		return err
	}
	if isBusy(err) {
		return cloudproviderapi.NewRetryError(fmt.Sprintf("%s: the CLB is busy applying a previous change, retrying: %v", step, err), busyRetryAfter)
	}
	if q := quotaName(err); q != "" {
		return fmt.Errorf("%s: %w", step, &QuotaError{Quota: q, Err: err})
	}
	return fmt.Errorf("%s: %w", step, err)
}

func asQuota(err error, q **QuotaError) bool { return errors.As(err, q) }

func isRetry(err error) bool {
	var re *cloudproviderapi.RetryError
	return errors.As(err, &re)
}

func isNotFound(err error) bool { return cloudapi.IsNotFound(err) }
