#include "range_profiler.hpp"

#include <cupti.h>
#include <cupti_profiler_host.h>
#include <cupti_profiler_target.h>
#include <cupti_range_profiler.h>
#include <cupti_target.h>

namespace rooflab::cupti {
namespace {

bool ok(CUptiResult r, const char* what, std::string& why) {
    if (r == CUPTI_SUCCESS)
        return true;
    const char* s = nullptr;
    cuptiGetResultString(r, &s);
    why = std::string(what) + ": " + (s ? s : "unknown CUPTI error");
    return false;
}

std::vector<const char*> cstrs(const std::vector<std::string>& v) {
    std::vector<const char*> o;
    for (const auto& s : v)
        o.push_back(s.c_str());
    return o;
}

} // namespace

std::vector<std::string> rooflineMetrics() {
    // Names checked on an H200 (CUDA 13.0, driver 580.159): the host API lists the sm__ops_path_tensor_* bases.
    // In priority order (a pass budget keeps a prefix of what fits): time and DRAM bytes first, then the work
    // counts of each path, then L2/L1 bytes and the throughput ratios.
    return {"gpu__time_duration.sum",
            "dram__bytes_read.sum",
            "dram__bytes_write.sum",
            "sm__ops_path_tensor_src_bf16_dst_fp32.sum",
            "sm__ops_path_tensor_op_hgmma_src_bf16_dst_fp32.sum",
            "sm__ops_path_tensor_src_fp16.sum",
            "sm__ops_path_tensor_src_fp8.sum",
            "sm__ops_path_tensor_op_hgmma_src_tf32_dst_fp32.sum",
            "sm__ops_path_tensor_op_igmma_src_int8.sum",
            "smsp__sass_thread_inst_executed_op_ffma_pred_on.sum",
            "smsp__sass_thread_inst_executed_op_fadd_pred_on.sum",
            "smsp__sass_thread_inst_executed_op_fmul_pred_on.sum",
            "smsp__sass_thread_inst_executed_op_hfma_pred_on.sum",
            "smsp__sass_thread_inst_executed_op_dfma_pred_on.sum",
            "lts__t_bytes.sum",
            "sm__inst_executed_pipe_tensor_op_gmma.sum",
            "sm__throughput.avg.pct_of_peak_sustained_elapsed",
            "dram__throughput.avg.pct_of_peak_sustained_elapsed",
            "l1tex__t_bytes.sum"};
}

RangeProfiler::~RangeProfiler() { end(); }

bool RangeProfiler::begin(CUcontext ctx, int deviceIndex, const std::vector<std::string>& metrics, size_t maxRanges,
                          std::string& why, size_t maxPasses) {
    CUpti_Profiler_Initialize_Params init{CUpti_Profiler_Initialize_Params_STRUCT_SIZE, nullptr};
    if (!ok(cuptiProfilerInitialize(&init), "cuptiProfilerInitialize", why))
        return false;
    CUpti_Device_GetChipName_Params chip{CUpti_Device_GetChipName_Params_STRUCT_SIZE, nullptr,
                                         static_cast<size_t>(deviceIndex), nullptr};
    if (!ok(cuptiDeviceGetChipName(&chip), "cuptiDeviceGetChipName", why))
        return false;
    m_chip = chip.pChipName ? chip.pChipName : "";

    CUpti_Profiler_GetCounterAvailability_Params avail{CUpti_Profiler_GetCounterAvailability_Params_STRUCT_SIZE,
                                                       nullptr, ctx, 0, nullptr};
    if (!ok(cuptiProfilerGetCounterAvailability(&avail), "cuptiProfilerGetCounterAvailability(size)", why))
        return false;
    m_availability.assign(avail.counterAvailabilityImageSize, 0);
    avail.pCounterAvailabilityImage = m_availability.data();
    if (!ok(cuptiProfilerGetCounterAvailability(&avail), "cuptiProfilerGetCounterAvailability", why))
        return false;

    CUpti_RangeProfiler_Enable_Params en{CUpti_RangeProfiler_Enable_Params_STRUCT_SIZE, nullptr, ctx, nullptr};
    if (!ok(cuptiRangeProfilerEnable(&en), "cuptiRangeProfilerEnable", why))
        return false;
    m_obj = en.pRangeProfilerObject;

    // A config image for `list`: the host object is rebuilt per trial because metrics cannot be removed from it.
    auto build = [&](const std::vector<std::string>& list, std::vector<uint8_t>& config, size_t& passes,
                     std::string& err) -> bool {
        if (m_host) {
            CUpti_Profiler_Host_Deinitialize_Params p{CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE, nullptr,
                                                      m_host};
            cuptiProfilerHostDeinitialize(&p);
            m_host = nullptr;
        }
        CUpti_Profiler_Host_Initialize_Params hi{CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE, nullptr,
                                                 CUPTI_PROFILER_TYPE_RANGE_PROFILER, m_chip.c_str(),
                                                 m_availability.data(), nullptr};
        if (!ok(cuptiProfilerHostInitialize(&hi), "cuptiProfilerHostInitialize", err))
            return false;
        m_host = hi.pHostObject;
        auto names = cstrs(list);
        CUpti_Profiler_Host_ConfigAddMetrics_Params add{CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE,
                                                        nullptr, m_host, names.data(), names.size()};
        if (!ok(cuptiProfilerHostConfigAddMetrics(&add), "cuptiProfilerHostConfigAddMetrics", err))
            return false;
        CUpti_Profiler_Host_GetConfigImageSize_Params cs{CUpti_Profiler_Host_GetConfigImageSize_Params_STRUCT_SIZE,
                                                         nullptr, m_host, 0};
        if (!ok(cuptiProfilerHostGetConfigImageSize(&cs), "cuptiProfilerHostGetConfigImageSize", err))
            return false;
        config.assign(cs.configImageSize, 0);
        CUpti_Profiler_Host_GetConfigImage_Params ci{CUpti_Profiler_Host_GetConfigImage_Params_STRUCT_SIZE, nullptr,
                                                     m_host, config.size(), config.data()};
        if (!ok(cuptiProfilerHostGetConfigImage(&ci), "cuptiProfilerHostGetConfigImage", err))
            return false;
        CUpti_Profiler_Host_GetNumOfPasses_Params np{CUpti_Profiler_Host_GetNumOfPasses_Params_STRUCT_SIZE, nullptr,
                                                     config.size(), config.data(), 0};
        if (!ok(cuptiProfilerHostGetNumOfPasses(&np), "cuptiProfilerHostGetNumOfPasses", err))
            return false;
        passes = np.numOfPasses;
        return true;
    };

    // Take metrics one at a time, in priority order: an unknown name is rejected without losing the others, and
    // a metric that would need another replay pass (beyond maxPasses) is deferred.
    for (const auto& m : metrics) {
        std::vector<std::string> trial = m_metrics;
        trial.push_back(m);
        std::vector<uint8_t> config;
        size_t passes = 0;
        std::string err;
        if (!build(trial, config, passes, err))
            m_rejected.push_back(m);
        else if (maxPasses > 0 && passes > maxPasses)
            m_deferred.push_back(m);
        else
            m_metrics = std::move(trial);
    }
    if (m_metrics.empty()) {
        why = "no requested metric is available on chip " + m_chip;
        return false;
    }
    if (!build(m_metrics, m_config, m_passes, why))
        return false;

    auto names = cstrs(m_metrics);
    CUpti_RangeProfiler_GetCounterDataSize_Params ds{CUpti_RangeProfiler_GetCounterDataSize_Params_STRUCT_SIZE,
                                                     nullptr, m_obj, names.data(), names.size(), maxRanges,
                                                     static_cast<uint32_t>(maxRanges), 0};
    if (!ok(cuptiRangeProfilerGetCounterDataSize(&ds), "cuptiRangeProfilerGetCounterDataSize", why))
        return false;
    m_counterData.assign(ds.counterDataSize, 0);
    CUpti_RangeProfiler_CounterDataImage_Initialize_Params di{
        CUpti_RangeProfiler_CounterDataImage_Initialize_Params_STRUCT_SIZE, nullptr, m_obj, m_counterData.size(),
        m_counterData.data()};
    if (!ok(cuptiRangeProfilerCounterDataImageInitialize(&di), "cuptiRangeProfilerCounterDataImageInitialize", why))
        return false;

    CUpti_RangeProfiler_SetConfig_Params sc{};
    sc.structSize = CUpti_RangeProfiler_SetConfig_Params_STRUCT_SIZE;
    sc.pRangeProfilerObject = m_obj;
    sc.configSize = m_config.size();
    sc.pConfig = m_config.data();
    sc.counterDataImageSize = m_counterData.size();
    sc.pCounterDataImage = m_counterData.data();
    sc.range = CUPTI_AutoRange;
    sc.replayMode = CUPTI_KernelReplay;
    sc.maxRangesPerPass = maxRanges;
    sc.numNestingLevels = 1;
    sc.minNestingLevel = 1;
    sc.passIndex = 0;
    sc.targetNestingLevel = 1;
    return ok(cuptiRangeProfilerSetConfig(&sc), "cuptiRangeProfilerSetConfig", why);
}

bool RangeProfiler::start(std::string& why) {
    CUpti_RangeProfiler_Start_Params p{CUpti_RangeProfiler_Start_Params_STRUCT_SIZE, nullptr, m_obj};
    m_started = ok(cuptiRangeProfilerStart(&p), "cuptiRangeProfilerStart", why);
    return m_started;
}

bool RangeProfiler::stop(std::string& why) {
    if (!m_started) {
        why = "not started";
        return false;
    }
    CUpti_RangeProfiler_Stop_Params p{CUpti_RangeProfiler_Stop_Params_STRUCT_SIZE, nullptr, m_obj, 0, 0, 0};
    m_started = false;
    if (!ok(cuptiRangeProfilerStop(&p), "cuptiRangeProfilerStop", why))
        return false;
    CUpti_RangeProfiler_DecodeData_Params d{CUpti_RangeProfiler_DecodeData_Params_STRUCT_SIZE, nullptr, m_obj, 0};
    if (!ok(cuptiRangeProfilerDecodeData(&d), "cuptiRangeProfilerDecodeData", why))
        return false;
    if (d.numOfRangeDropped)
        why = std::to_string(d.numOfRangeDropped) + " ranges dropped";
    return true;
}

std::vector<std::vector<double>> RangeProfiler::values(std::string& why) const {
    std::vector<std::vector<double>> out;
    CUpti_RangeProfiler_GetCounterDataInfo_Params info{CUpti_RangeProfiler_GetCounterDataInfo_Params_STRUCT_SIZE,
                                                       nullptr, m_counterData.data(), m_counterData.size(), 0};
    if (!ok(cuptiRangeProfilerGetCounterDataInfo(&info), "cuptiRangeProfilerGetCounterDataInfo", why))
        return out;
    auto names = cstrs(m_metrics);
    for (size_t r = 0; r < info.numTotalRanges; ++r) {
        std::vector<double> v(m_metrics.size(), 0.0);
        CUpti_Profiler_Host_EvaluateToGpuValues_Params e{CUpti_Profiler_Host_EvaluateToGpuValues_Params_STRUCT_SIZE,
                                                         nullptr, m_host, m_counterData.data(), m_counterData.size(),
                                                         r, names.data(), names.size(), v.data()};
        if (!ok(cuptiProfilerHostEvaluateToGpuValues(&e), "cuptiProfilerHostEvaluateToGpuValues", why))
            return out;
        out.push_back(std::move(v));
    }
    return out;
}

std::vector<std::string> RangeProfiler::listBaseMetrics(const std::string& filter) const {
    std::vector<std::string> out;
    if (!m_host)
        return out;
    for (auto type : {CUPTI_METRIC_TYPE_COUNTER, CUPTI_METRIC_TYPE_RATIO, CUPTI_METRIC_TYPE_THROUGHPUT}) {
        CUpti_Profiler_Host_GetBaseMetrics_Params p{CUpti_Profiler_Host_GetBaseMetrics_Params_STRUCT_SIZE, nullptr,
                                                    m_host, type, nullptr, 0};
        if (cuptiProfilerHostGetBaseMetrics(&p) != CUPTI_SUCCESS)
            continue;
        for (size_t i = 0; i < p.numMetrics; ++i) {
            std::string n = p.ppMetricNames[i];
            if (filter.empty() || n.find(filter) != std::string::npos)
                out.push_back(n);
        }
    }
    return out;
}

void RangeProfiler::end() {
    if (m_started) {
        std::string why;
        stop(why);
    }
    if (m_host) {
        CUpti_Profiler_Host_Deinitialize_Params p{CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE, nullptr, m_host};
        cuptiProfilerHostDeinitialize(&p);
        m_host = nullptr;
    }
    if (m_obj) {
        CUpti_RangeProfiler_Disable_Params p{CUpti_RangeProfiler_Disable_Params_STRUCT_SIZE, nullptr, m_obj};
        cuptiRangeProfilerDisable(&p);
        m_obj = nullptr;
    }
}

} // namespace rooflab::cupti
