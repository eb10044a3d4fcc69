#include "profilers/gpu/trace/kernel_class.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

using rooflab::gpu::classifyKernel;
using rooflab::gpu::KernelClass;

namespace {

void expectAll(const std::vector<std::pair<const char*, KernelClass>>& cases) {
    for (const auto& [name, want] : cases)
        EXPECT_EQ(classifyKernel(name), want) << name << " -> " << rooflab::gpu::toString(classifyKernel(name));
}

} // namespace

TEST(KernelClass, CublasAndCutlassGemms) {
    expectAll({
        {"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_"
         "kernel__5x_cublas",
         KernelClass::Gemm},
        {"nvjet_tst_128x256_64x4_2x1_v_bz_coopA_TNT", KernelClass::Gemm},
        {"nvjet_hsh_256x128_64x4_1x2_h_bz_coopB_NNN", KernelClass::Gemm},
        {"ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_32x5_tn", KernelClass::Gemm},
        {"void cutlass::Kernel2<cutlass_80_tensorop_bf16_s16816gemm_relu_bf16_64x64_64x4_tn_align8>(cutlass_80_"
         "tensorop_bf16_s16816gemm_relu_bf16_64x64_64x4_tn_align8::Params)",
         KernelClass::Gemm},
        {"void gemv2T_kernel_val<int, int, __nv_bfloat16, __nv_bfloat16, float, float, 128, 16, 4, 4, false, false>",
         KernelClass::Gemm},
        {"void cublasLt::splitKreduce_kernel<32, 16, int, float, __nv_bfloat16, float>", KernelClass::Gemm},
        {"triton_tem_fused_addmm_0", KernelClass::Gemm},
        {"sm80_xmma_gemm_f32f32_f32f32_f32_nn_n_tilesize32x32x8_stage3_warpsize1x2x1_ffma_aligna4_alignc4_execute_"
         "kernel__5x_cublas",
         KernelClass::Gemm},
    });
}

TEST(KernelClass, Attention) {
    expectAll({
        {"flash_fwd_kernel", KernelClass::Attention},
        {"void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits<128, 128, 64, 4, false, false, cutlass::"
         "bfloat16_t, Flash_kernel_traits<128, 128, 64, 4, cutlass::bfloat16_t> >, false, true, false, false, true, "
         "true, false, false>(pytorch_flash::Flash_fwd_params)",
         KernelClass::Attention},
        {"void pytorch_flash::flash_fwd_splitkv_kernel<Flash_fwd_kernel_traits<128, 64, 128, 4, false, false, "
         "cutlass::bfloat16_t>, false, false, false, false, true, true, false, false>(pytorch_flash::Flash_fwd_params)",
         KernelClass::Attention},
        {"void pytorch_flash::flash_fwd_splitkv_combine_kernel<Flash_fwd_kernel_traits<128, 64, 128, 4>, 4, 4, "
         "true>(pytorch_flash::Flash_fwd_params)",
         KernelClass::Attention},
        {"fmha_cutlassF_bf16_aligned_64x64_rf_sm80(PyTorchMemEffAttention::AttentionKernel<cutlass::bfloat16_t, "
         "cutlass::arch::Sm80, true, 64, 64, 64, true, true>::Params)",
         KernelClass::Attention},
        {"void vllm::paged_attention_v2_kernel<__nv_bfloat16, __nv_bfloat16, 128, 16, 128>", KernelClass::Attention},
        {"cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_3_64x64x128_4x1x1_kernel0_0",
         KernelClass::Attention},
    });
}

TEST(KernelClass, NormRopeElementwiseReductionCopy) {
    expectAll({
        {"void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<c10::BFloat16, float, true>(int, "
         "float, c10::BFloat16 const*, c10::BFloat16 const*, c10::BFloat16 const*, float*, float*, c10::BFloat16*)",
         KernelClass::Norm},
        {"triton_red_fused__to_copy_add_mean_mul_pow_rsqrt_0", KernelClass::Norm},
        {"triton_per_fused__to_copy_add_mean_mul_pow_rsqrt_1", KernelClass::Norm},
        {"void vllm::rms_norm_kernel<c10::BFloat16>", KernelClass::Norm},
        {"void vllm::rotary_embedding_kernel<c10::BFloat16, true>", KernelClass::Rope},
        {"triton_poi_fused_cat_cos_mul_neg_sin_2", KernelClass::Rope},
        {"void at::native::elementwise_kernel<128, 2, at::native::gpu_kernel_impl_nocast<at::native::"
         "BinaryFunctor<c10::BFloat16, c10::BFloat16, c10::BFloat16, at::native::binary_internal::MulFunctor<float> "
         "> >(at::TensorIteratorBase&, at::native::BinaryFunctor<c10::BFloat16, c10::BFloat16, c10::BFloat16, "
         "at::native::binary_internal::MulFunctor<float> > const&)::{lambda(int)#1}>(int, "
         "at::native::gpu_kernel_impl_nocast<...>::{lambda(int)#1})",
         KernelClass::Elementwise},
        {"void at::native::vectorized_elementwise_kernel<4, at::native::(anonymous namespace)::silu_kernel(at::"
         "TensorIteratorBase&)::{lambda()#1}::operator()() const::{lambda()#4}::operator()() const::{lambda(c10::"
         "BFloat16)#1}, std::array<char*, 2ul> >(int, ...)",
         KernelClass::Elementwise},
        {"void vllm::act_and_mul_kernel<c10::BFloat16, &vllm::silu_kernel<c10::BFloat16>, true>", KernelClass::Elementwise},
        {"triton_poi_fused_mul_silu_3", KernelClass::Elementwise},
        {"void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, at::native::MeanOps<float, float, "
         "float, float>, unsigned int, float, 4> >(at::native::ReduceOp<...>)",
         KernelClass::Reduction},
        {"void at::native::(anonymous namespace)::cunn_SoftMaxForward<4, float, float, float, at::native::(anonymous "
         "namespace)::SoftMaxForwardEpilogue>(float*, float const*, int)",
         KernelClass::Reduction},
        {"triton_red_fused_sum_4", KernelClass::Reduction},
        {"void at::native::elementwise_kernel<128, 4, at::native::gpu_kernel_impl_nocast<at::native::direct_copy_"
         "kernel_cuda(at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#10}::operator()() "
         "const::{lambda(c10::BFloat16)#1}>(at::TensorIteratorBase&, ...)",
         KernelClass::Copy},
        {"void at::native::(anonymous namespace)::CatArrayBatchedCopy<at::native::(anonymous namespace)::OpaqueType"
         "<2u>, unsigned int, 4, 64, 64>(...)",
         KernelClass::Copy},
        {"void at::native::(anonymous namespace)::indexSelectSmallIndex<c10::BFloat16, long, unsigned int, 2, 2, "
         "-2>(...)",
         KernelClass::Copy},
        {"triton_poi_fused__to_copy_clone_5", KernelClass::Copy},
        {"void at::native::vectorized_gather_kernel<16, long>(char*, char*, long*, int, long, long, long, long, bool)",
         KernelClass::Copy},
        {"void vllm::reshape_and_cache_flash_kernel<__nv_bfloat16, __nv_bfloat16, (vllm::Fp8KVCacheDataType)0>",
         KernelClass::Copy},
    });
}

TEST(KernelClass, Collectives) {
    expectAll({
        {"ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)", KernelClass::Collective},
        {"ncclDevKernel_AllGather_RING_LL", KernelClass::Collective},
        {"ncclDevKernel_SendRecv(ncclDevKernelArgsStorage<4096ul>)", KernelClass::Collective},
        {"ncclKernel_AllReduce_RING_LL_Sum_half", KernelClass::Collective},
        {"void vllm::cross_device_reduce_1stage<__nv_bfloat16, 8>", KernelClass::Collective},
    });
}

TEST(KernelClass, MetricsBreakTiesForOpaqueNames) {
    rooflab::gpu::KernelMetrics tensor;
    tensor.tensorFlop = 1e12;
    EXPECT_EQ(classifyKernel("kernel", &tensor), KernelClass::Gemm);
    rooflab::gpu::KernelMetrics bytes;
    bytes.tensorFlop = 0;
    bytes.simtFlop = 0;
    bytes.dramBytes = 1e9;
    EXPECT_EQ(classifyKernel("my_kernel", &bytes), KernelClass::Copy);
    bytes.simtFlop = 1e9;
    EXPECT_EQ(classifyKernel("my_kernel", &bytes), KernelClass::Elementwise);
    EXPECT_EQ(classifyKernel("my_kernel"), KernelClass::Other);
}

TEST(KernelClass, NamesRoundTrip) {
    for (auto c : {KernelClass::Gemm, KernelClass::Attention, KernelClass::Norm, KernelClass::Elementwise,
                   KernelClass::Rope, KernelClass::Reduction, KernelClass::Copy, KernelClass::Collective,
                   KernelClass::Other})
        EXPECT_EQ(rooflab::gpu::kernelClassFromString(rooflab::gpu::toString(c)), c);
    EXPECT_FALSE(rooflab::gpu::kernelClassFromString("matmul").has_value());
}
