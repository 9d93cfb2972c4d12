package emulator

// NLB asynchronous jobs: GetJobStatus and ListAsynJobs report the jobs that
// every NLB write starts (see nlbState.newJob for the busy model).

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"
)

// errNLBJobNotFound: ResourceNotFound.JobId 404 "The specified resource of
// JobId is not found." (api-nlb-2022-04-30-listasynjobs error table).
func errNLBJobNotFound() *APIError { return nlbNotFound("JobId") }

// nlbGetJobStatus answers Processing while the job runs, then Succeeded
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-getjobstatus).
func nlbGetJobStatus(c *call) (any, error) {
	id, err := nlbRequired(c, "JobId")
	if err != nil {
		return nil, err
	}
	j, ok := c.e.nlb.jobs[id]
	if !ok {
		return nil, errNLBJobNotFound()
	}
	return &nlb.GetJobStatusResponse{Status: j.status(c.Now)}, nil
}

// asynJob is one ListAsynJobs item. The SDK version we build with has no
// ListAsynJobs types; the shape is the documented one: Jobs[{Id, Status}].
type asynJob struct {
	ID     string `json:"Id"`
	Status string `json:"Status"`
}

// listAsynJobsResponse is the documented ListAsynJobs answer.
type listAsynJobsResponse struct {
	RequestId  string    `json:"RequestId"` //nolint:revive // marshalWithRequestID fills the field named as in the SDK's answers
	Jobs       []asynJob `json:"Jobs"`
	TotalCount int       `json:"TotalCount"`
}

// nlbListAsynJobs reports the jobs named by JobIds.N, in request order; an
// unknown ID is ResourceNotFound.JobId
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-listasynjobs).
func nlbListAsynJobs(c *call) (any, error) {
	ids := c.list("JobIds")
	if len(ids) == 0 {
		return nil, nlbMissing("JobIds")
	}
	resp := &listAsynJobsResponse{Jobs: []asynJob{}}
	for _, id := range ids {
		j, ok := c.e.nlb.jobs[id]
		if !ok {
			return nil, errNLBJobNotFound()
		}
		resp.Jobs = append(resp.Jobs, asynJob{ID: j.ID, Status: j.status(c.Now)})
	}
	resp.TotalCount = len(resp.Jobs)
	return resp, nil
}
