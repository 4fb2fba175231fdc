// The custom search attributes that let the Temporal Web UI filter invocations by function.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CaissonFunction = defineSearchAttributeKey('CaissonFunction', SearchAttributeType.KEYWORD);
export const CaissonVersion = defineSearchAttributeKey('CaissonVersion', SearchAttributeType.INT);
export const CaissonNamespace = defineSearchAttributeKey('CaissonNamespace', SearchAttributeType.KEYWORD);
/** Set when an invocation ends: Succeeded, Cancelled, or its failure kind (FunctionTimeout, …). */
export const CaissonOutcome = defineSearchAttributeKey('CaissonOutcome', SearchAttributeType.KEYWORD);
/** Set when an invocation ends: how its last attempt started, cold or warm (absent: none ran). */
export const CaissonStart = defineSearchAttributeKey('CaissonStart', SearchAttributeType.KEYWORD);

/** On a schedule's fire workflow and the invocation it starts: the schedule's name (its namespace is CaissonNamespace). */
export const CaissonSchedule = defineSearchAttributeKey('CaissonSchedule', SearchAttributeType.KEYWORD);

const ALL = [CaissonFunction, CaissonVersion, CaissonNamespace, CaissonOutcome, CaissonStart, CaissonSchedule];

/** As `temporal server start-dev --search-attribute` arguments. */
export const SEARCH_ATTRIBUTE_FLAGS = ALL.flatMap((k) => ['--search-attribute', `${k.name}=${k.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`]);

/** As the operator service's addSearchAttributes takes them (its enum: KEYWORD=2, INT=3). */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, number> = Object.fromEntries(ALL.map((k) => [k.name, k.type === SearchAttributeType.INT ? 3 : 2]));
