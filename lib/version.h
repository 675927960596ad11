/* ccompose's version: what `version` prints and what the containers'
   com.docker.compose.version label carries.  */
#ifndef CC_LIB_VERSION_H
#define CC_LIB_VERSION_H

#define CC_VERSION "0.1.0"

#endif
