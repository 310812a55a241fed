#pragma once
// Everything a C++ topology author needs.

#include "squall/collectors.h"
#include "squall/component_registry.h"
#include "squall/components.h"
#include "squall/config.h"
#include "squall/errors.h"
#include "squall/fields.h"
#include "squall/local_cluster.h"
#include "squall/output_fields_declarer.h"
#include "squall/topology_builder.h"
#include "squall/topology_context.h"
#include "squall/topology_def.h"
#include "squall/tuple.h"
#include "squall/value.h"
