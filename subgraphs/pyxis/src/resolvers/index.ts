import type { Resolvers } from '../generated/graphql';
import { AssistanceType } from './AssistanceType';
import { Dispenser } from './Dispenser';
import { Material } from './Material';
import { CatalogueChange } from './CatalogueChange';
import { Medicine } from './Medicine';
import { Query } from './Query';
import { Subscription } from './Subscription';
import { MedicineRegister, RegisterEntry } from './MedicineRegister';
import { Mutation } from './Mutation';
import {
  StockChange,
  StockCount,
  StockDiscrepancy,
  StockLocation,
  StockLot,
  StockMovement,
  StockSlot,
} from './StockSlot';
import { LotDispense, StockInTransit } from './LotDispense';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  Medicine,
  Material,
  AssistanceType,
  Dispenser,
  StockSlot,
  StockLocation,
  StockLot,
  StockMovement,
  StockDiscrepancy,
  StockCount,
  MedicineRegister,
  RegisterEntry,
  CatalogueChange,
  LotDispense,
  StockInTransit,
  StockChange,
};
