package cloudapi

// NLB asynchronous jobs. Almost every NLB write answers at once with a
// JobId and takes effect in the background; until the job ends, the
// resource it changes refuses other writes (Conflict.Lock,
// IncorrectStatus.<resource>, ResourceInConfiguring.<resource>). The
// helpers here only look at jobs, they never wait: a reconcile that finds a
// job still running returns a *JobsPendingError, and the caller requeues
// the Service (the cloud provider framework's api.NewRetryError) instead of
// holding a worker while the job runs.
// GetJobStatus: https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-getjobstatus
// ListAsynJobs: https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-listasynjobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// NLB job statuses as GetJobStatus and ListAsynJobs report them.
const (
	JobProcessing = "Processing"
	JobSucceeded  = "Succeeded"
	JobFailed     = "Failed"
)

// MaxNLBJobIDsPerCall is the JobIds limit of ListAsynJobs (the official
// CCM queries jobs in batches of 20 as well).
const MaxNLBJobIDsPerCall = 20

// ListAsynJobsRequest is the request of ListAsynJobs, for which the Go SDK
// has no typed request; build it with CreateListAsynJobsRequest.
type ListAsynJobsRequest struct {
	*requests.RpcRequest
	JobIDs     *[]string        `position:"Query" name:"JobIds" type:"Repeated"`
	NextToken  string           `position:"Query" name:"NextToken"`
	MaxResults requests.Integer `position:"Query" name:"MaxResults"`
}

// AsynJob is one job of a ListAsynJobs answer.
type AsynJob struct {
	ID           string `json:"Id"`
	ResourceType string `json:"ResourceType"`
	ResourceID   string `json:"ResourceId"`
	OperateType  string `json:"OperateType"`
	APIName      string `json:"ApiName"`
	Status       string `json:"Status"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// ListAsynJobsResponse is the answer of ListAsynJobs.
type ListAsynJobsResponse struct {
	*responses.BaseResponse
	RequestID  string    `json:"RequestId"`
	NextToken  string    `json:"NextToken"`
	TotalCount int       `json:"TotalCount"`
	Jobs       []AsynJob `json:"Jobs"`
}

// CreateListAsynJobsRequest builds a ListAsynJobs request, as the SDK's
// constructors do for the other actions.
func CreateListAsynJobsRequest() *ListAsynJobsRequest {
	r := &ListAsynJobsRequest{RpcRequest: &requests.RpcRequest{}}
	r.InitWithApiInfo("Nlb", "2022-04-30", "ListAsynJobs", "nlb", "openAPI")
	r.Method = requests.POST
	return r
}

// ListAsynJobs returns the status of up to MaxNLBJobIDsPerCall jobs.
func (n *NLB) ListAsynJobs(ctx context.Context, req *ListAsynJobsRequest) (*ListAsynJobsResponse, error) {
	return call(ctx, n.Client, req, &ListAsynJobsResponse{BaseResponse: &responses.BaseResponse{}})
}

// JobsPendingError says NLB jobs are still running, so the write that needs
// their resources was not sent. It is a reason to requeue, not a failure.
type JobsPendingError struct {
	Jobs []string // the running jobs
	Left int      // items (e.g. servers) not yet sent, 0 if not applicable
}

// Error names the running jobs.
func (e *JobsPendingError) Error() string {
	msg := fmt.Sprintf("NLB jobs still running: %s", strings.Join(e.Jobs, ","))
	if e.Left > 0 {
		msg += fmt.Sprintf(" (%d items left to send)", e.Left)
	}
	return msg
}

// IsJobsPending reports whether err is (or wraps) a *JobsPendingError.
func IsJobsPending(err error) bool {
	var jp *JobsPendingError
	return errors.As(err, &jp)
}

// JobFailedError is an NLB job that ended Failed: its write did not take
// effect.
type JobFailedError struct {
	Job, Action, Code, Message string
}

// Error names the job, the action it ran and the cloud's reason.
func (e *JobFailedError) Error() string {
	msg := "NLB job " + e.Job
	if e.Action != "" {
		msg += " (" + e.Action + ")"
	}
	msg += " failed"
	if e.Code != "" || e.Message != "" {
		msg += ": " + strings.TrimSpace(e.Code+" "+sanitizeMessage(e.Message))
	}
	return msg
}

// PendingJobs returns the jobs of ids that are still running, without
// waiting. A job that ended Failed is returned as a *JobFailedError (the
// first one found). A job the API does not know (ResourceNotFound.JobId:
// the API keeps jobs for a limited time) counts as finished: the caller
// reads the resource's state anyway. One ID costs one GetJobStatus call;
// more cost one ListAsynJobs call per MaxNLBJobIDsPerCall IDs.
func (n *NLB) PendingJobs(ctx context.Context, ids []string) ([]string, error) {
	ids = dedupe(ids)
	if len(ids) == 1 {
		return n.pendingOne(ctx, ids[0])
	}
	var pending []string
	for _, batch := range Chunk(ids, MaxNLBJobIDsPerCall) {
		r := CreateListAsynJobsRequest()
		b := append([]string(nil), batch...)
		r.JobIDs = &b
		resp, err := n.ListAsynJobs(ctx, r)
		if IsNotFound(err) {
			// One unknown ID fails the whole call; ask job by job.
			for _, id := range batch {
				p, err := n.pendingOne(ctx, id)
				if err != nil {
					return nil, err
				}
				pending = append(pending, p...)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("NLB job status: %w", err)
		}
		for _, j := range resp.Jobs {
			switch j.Status {
			case JobSucceeded:
			case JobFailed:
				return nil, &JobFailedError{Job: j.ID, Action: j.APIName, Code: j.ErrorCode, Message: j.ErrorMessage}
			default: // Processing, or a status this client does not know yet
				pending = append(pending, j.ID)
			}
		}
	}
	return pending, nil
}

func (n *NLB) pendingOne(ctx context.Context, id string) ([]string, error) {
	r := nlb.CreateGetJobStatusRequest()
	r.JobId = id
	resp, err := n.GetJobStatus(ctx, r)
	switch {
	case IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("NLB job status: %w", err)
	}
	switch resp.Status {
	case JobSucceeded:
		return nil, nil
	case JobFailed:
		return nil, &JobFailedError{Job: id, Code: resp.DynamicCode, Message: resp.DynamicMessage}
	}
	return []string{id}, nil
}

// CheckJobs returns nil once every job of ids has ended successfully, a
// *JobsPendingError while some still run, or the *JobFailedError of a
// failed one. It never waits.
func (n *NLB) CheckJobs(ctx context.Context, ids ...string) error {
	pending, err := n.PendingJobs(ctx, ids)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return &JobsPendingError{Jobs: pending}
	}
	return nil
}

// jobsDone checks the last of jobs (member changes of one group run one
// after the other, so the last one ending means all did) before the next
// batch of left items is sent.
func (n *NLB) jobsDone(ctx context.Context, jobs []string, left int) error {
	if len(jobs) == 0 {
		return nil
	}
	err := n.CheckJobs(ctx, jobs[len(jobs)-1])
	var jp *JobsPendingError
	if errors.As(err, &jp) {
		jp.Left = left
	}
	return err
}
