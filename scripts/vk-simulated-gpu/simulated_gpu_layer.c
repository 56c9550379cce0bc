/* A Vulkan layer for `make accuracy-gpu`: makes Mesa's software device (lavapipe) report the
 * buffer limits of a discrete GPU, so llama.cpp places tensors as it would on a real card.
 *
 * lavapipe limits storage buffers to 128 MiB (maxStorageBufferRange), so ggml-vulkan refuses any
 * tensor above that (the output head, DeepSeek-V3's expert tensors, a 70B model's FFN) and keeps
 * it on the CPU. NVIDIA and AMD cards report 4 GiB. The check runs llama.cpp with `no_alloc`:
 * nothing is allocated or executed on the device, only placed and sized. The layer changes two
 * limits in vkGetPhysicalDeviceProperties(2) and passes everything else through. */
#include <string.h>
#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#define LIMIT_4GIB 0xFFFFFFFFu

static PFN_vkGetInstanceProcAddr next_gipa;
static PFN_vkGetPhysicalDeviceProperties next_props;
static PFN_vkGetPhysicalDeviceProperties2 next_props2;

static void raise_limits(VkPhysicalDeviceProperties *p) {
    p->limits.maxStorageBufferRange = LIMIT_4GIB;
    p->deviceType = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
}

static VKAPI_ATTR void VKAPI_CALL sim_GetPhysicalDeviceProperties(VkPhysicalDevice dev,
                                                                   VkPhysicalDeviceProperties *p) {
    next_props(dev, p);
    raise_limits(p);
}

static VKAPI_ATTR void VKAPI_CALL sim_GetPhysicalDeviceProperties2(VkPhysicalDevice dev,
                                                                    VkPhysicalDeviceProperties2 *p) {
    next_props2(dev, p);
    raise_limits(&p->properties);
}

static VKAPI_ATTR VkResult VKAPI_CALL sim_CreateInstance(const VkInstanceCreateInfo *info,
                                                         const VkAllocationCallbacks *alloc,
                                                         VkInstance *instance) {
    VkLayerInstanceCreateInfo *link = (VkLayerInstanceCreateInfo *)info->pNext;
    while (link && !(link->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO &&
                     link->function == VK_LAYER_LINK_INFO)) {
        link = (VkLayerInstanceCreateInfo *)link->pNext;
    }
    if (!link) {
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    next_gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    link->u.pLayerInfo = link->u.pLayerInfo->pNext;
    PFN_vkCreateInstance create = (PFN_vkCreateInstance)next_gipa(NULL, "vkCreateInstance");
    VkResult result = create(info, alloc, instance);
    if (result == VK_SUCCESS) {
        next_props = (PFN_vkGetPhysicalDeviceProperties)next_gipa(*instance, "vkGetPhysicalDeviceProperties");
        next_props2 = (PFN_vkGetPhysicalDeviceProperties2)next_gipa(*instance, "vkGetPhysicalDeviceProperties2");
        if (!next_props2) {
            next_props2 = (PFN_vkGetPhysicalDeviceProperties2)next_gipa(*instance, "vkGetPhysicalDeviceProperties2KHR");
        }
    }
    return result;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL sim_GetInstanceProcAddr(VkInstance instance, const char *name) {
    if (!strcmp(name, "vkGetInstanceProcAddr")) return (PFN_vkVoidFunction)sim_GetInstanceProcAddr;
    if (!strcmp(name, "vkCreateInstance")) return (PFN_vkVoidFunction)sim_CreateInstance;
    if (!strcmp(name, "vkGetPhysicalDeviceProperties")) return (PFN_vkVoidFunction)sim_GetPhysicalDeviceProperties;
    if (!strcmp(name, "vkGetPhysicalDeviceProperties2") || !strcmp(name, "vkGetPhysicalDeviceProperties2KHR")) {
        return (PFN_vkVoidFunction)sim_GetPhysicalDeviceProperties2;
    }
    return next_gipa ? next_gipa(instance, name) : NULL;
}
